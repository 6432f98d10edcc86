"""The append-only audit log, chained with HMAC-SHA256 and witnessed: append, verify, re-key.

The key (audit_key) is not in the database, so whoever can write there cannot recompute
the chain; the witness file (adapters/audit_witness.py) holds the head outside the
database, so cutting off the tail together with the head row is seen as well.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterator

from sqlalchemy import event as orm_event, orm
from sqlmodel import Session, select

from ra_console.adapters.audit_witness import WitnessError, within, witness_after_commit
from ra_console.core.db import is_sqlite, lock_row, session_now
from ra_console.core.logs import request_id
from ra_console.models import AuditEvent, AuditHead

GENESIS = "0" * 64


class AuditChainError(Exception):
    """The chain cannot be appended to or re-keyed as it is (the text says where)."""


def _utc_naive(at: datetime) -> datetime:
    # SQLite hands back naive datetimes: hash the same value before and after a reload.
    return at.astimezone(timezone.utc).replace(tzinfo=None) if at.tzinfo else at


def _canonical(event: AuditEvent) -> bytes:
    body = {
        "seq": event.seq, "entity_type": event.entity_type, "entity_id": event.entity_id,
        "trigger": event.trigger, "from": event.from_state, "to": event.to_state,
        "actor": event.actor, "role": event.role, "at": _utc_naive(event.at).isoformat(),
        "ip": event.ip, "data": event.data, "prev": event.prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def event_hash(event: AuditEvent, key: bytes) -> str:
    """HMAC-SHA256 of the event's canonical form (its prev_hash included)."""
    return hmac.new(key, _canonical(event), hashlib.sha256).hexdigest()


def plain_hash(event: AuditEvent) -> str:
    """The unkeyed SHA-256 of chains written before the key (read only by rekey_chain)."""
    return hashlib.sha256(_canonical(event)).hexdigest()


def _key(session: Session) -> bytes:
    return session.info["runtime"].config["audit_key"].encode("utf-8")


def _head(session: Session) -> AuditHead:
    if not is_sqlite(session):  # locked and (re)loaded with one statement
        head = session.get(AuditHead, 1, with_for_update=True, populate_existing=True)
        if head is not None:
            return head
    head = session.get(AuditHead, 1)
    if head is None:
        if session.exec(select(AuditEvent.id).limit(1)).first() is not None:
            raise AuditChainError("the audit head row is missing: run `ra-console audit "
                                  "verify` (the chain was cut or the row deleted)")
        head = AuditHead(id=1, seq=0, hash=GENESIS)
        session.add(head)
        session.flush()
    lock_row(session, head)  # orders concurrent writers: one chain, no forks
    return head


def append_event(session: Session, *, entity_type: str, entity_id: str, trigger: str,
                 actor: str, role: str, from_state: str | None = None,
                 to_state: str | None = None, ip: str | None = None,
                 data: dict[str, Any] | None = None, at: datetime | None = None) -> AuditEvent:
    """Append one event in the caller's transaction; witnessed after its commit.

    In a session from chained_at_commit() the event is only queued here (no seq or hash
    yet) and chained with the others when the session commits."""
    if request_id.get():  # the web request or job run that caused it (logs carry it too)
        data = {**(data or {}), "request_id": request_id.get()}
    event = AuditEvent(
        entity_type=entity_type, entity_id=entity_id, trigger=trigger,
        from_state=from_state, to_state=to_state, actor=actor, role=role, ip=ip,
        data=data or {}, at=at or session_now(session), hash="",
    )
    queued = session.info.get(_QUEUED)
    if queued is not None:
        queued.append((session.get_nested_transaction(), event))
        return event
    _chain(session, [event])
    return event


def _chain(session: Session, events: list[AuditEvent]) -> None:
    head = _head(session)
    key = _key(session)
    for event in events:
        event.seq, event.prev_hash = head.seq + 1, head.hash
        event.hash = event_hash(event, key)
        head.seq, head.hash = event.seq, event.hash
        session.add(event)
    session.flush()
    for event in events:
        witness_after_commit(session, event.seq, event.hash, _witness_time(event.at))


# A batch (the job runner's issuance) appends many events in one transaction. Chaining
# each at once would hold the audit_head row lock from the first event to the commit, so
# every other writer (another runner's whole batch) waits behind this one; chained at
# commit, the head is locked once, for the moment of the commit.
_QUEUED = "audit_queued"


def chained_at_commit(session: Session) -> Session:
    """Let this session's audit events be chained when it commits (one head lock per
    transaction); events of a savepoint that rolls back are dropped with it."""
    session.info[_QUEUED] = []
    return session


@orm_event.listens_for(orm.Session, "before_commit")
def _chain_queued(session: Session) -> None:
    queued = session.info.get(_QUEUED)
    if queued and not session.in_nested_transaction():  # a savepoint's release: not yet
        session.info[_QUEUED] = []
        _chain(session, [entry for _, entry in queued])


@orm_event.listens_for(orm.Session, "after_soft_rollback")
def _drop_queued(session: Session, previous_transaction) -> None:
    queued = session.info.get(_QUEUED)
    if not queued:
        return
    session.info[_QUEUED] = [] if not previous_transaction.nested else [
        (savepoint, entry) for savepoint, entry in queued
        if not within(savepoint, previous_transaction)]


def _witness_time(at: datetime) -> str:
    return _utc_naive(at).isoformat(timespec="seconds") + "Z"


# Why a chain fails: code -> English text (the CLI); the console shows the same code in
# the reader's language (web/messages.py).
PROBLEMS = {
    "missing": "event #%(seq)s is missing (next is #%(next)s)",
    "link_changed": "event #%(seq)s was changed (its link to #%(prev)s)",
    "mac_changed": "event #%(seq)s was changed (its MAC)",
    "head_missing": "the head row is missing (the chain ends at #%(last)s)",
    "tail_missing": "events #%(first)s to #%(last)s are missing (the head row names #%(last)s)",
    "head_rewound": "the head row was rewound to #%(head)s (the chain ends at #%(last)s)",
    "witness_changed": "the witness file was changed at line %(line)s (changed, inserted, or a "
                        "line before it removed)",
    "witness_missing": "the witness file is missing or empty (%(path)s)",
    "witnessed_missing": "events #%(first)s to #%(last)s are missing (witnessed at %(at)s)",
    "witness_differs": "event #%(seq)s differs from the witness (line %(line)s)",
}


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    checked: int
    code: str | None = None
    params: dict = field(default_factory=dict)
    witnessed: int | None = None  # the highest event the witness names

    @property
    def problem(self) -> str | None:
        return PROBLEMS[self.code] % self.params if self.code else None


def _broken(checked: int, code: str, **params: Any) -> ChainCheck:
    return ChainCheck(False, checked, code, params)


def _events(session: Session, batch: int) -> Iterator[AuditEvent]:
    last_id = 0
    while True:
        events = session.exec(select(AuditEvent).where(AuditEvent.id > last_id)
                              .order_by(AuditEvent.id).limit(batch)).all()
        if not events:
            return
        yield from events
        last_id = events[-1].id


def _walk(session: Session, key: bytes, batch: int) -> tuple[int, str, ChainCheck | None]:
    """(events checked, last hash, the problem) over the chain in the database."""
    prev, expected_seq, checked = GENESIS, 1, 0
    for event in _events(session, batch):
        if event.seq != expected_seq:
            return checked, prev, _broken(checked, "missing", seq=expected_seq, next=event.seq)
        if event.prev_hash != prev:
            return checked, prev, _broken(checked, "link_changed", seq=event.seq, prev=checked)
        if not hmac.compare_digest(event_hash(event, key), event.hash):
            return checked, prev, _broken(checked, "mac_changed", seq=event.seq)
        prev, expected_seq, checked = event.hash, event.seq + 1, checked + 1
    return checked, prev, None


def verify_chain(session: Session, *, use_witness: bool = True,
                 batch: int = 5000) -> ChainCheck:
    """Check every MAC and link, the head row, and (by default) the witnessed head; report
    the first problem by event number."""
    checked, last_hash, problem = _walk(session, _key(session), batch)
    if problem:
        return problem
    head = session.get(AuditHead, 1)
    if head is None:
        return _broken(checked, "head_missing", last=checked)
    if head.seq > checked:
        return _broken(checked, "tail_missing", first=checked + 1, last=head.seq)
    if (head.seq, head.hash) != (checked, last_hash):
        return _broken(checked, "head_rewound", head=head.seq, last=checked)
    if not use_witness:
        return ChainCheck(True, checked)
    return _check_witness(session, checked)


def _check_witness(session: Session, checked: int) -> ChainCheck:
    witness = session.info["runtime"].witness
    try:
        witnessed = witness.head()
    except WitnessError as exc:
        return _broken(checked, "witness_changed", line=exc.line)
    if witnessed is None:
        if checked:
            return _broken(checked, "witness_missing", path=str(witness.path))
        return ChainCheck(True, checked, witnessed=0)
    if witnessed.seq > checked:
        return _broken(checked, "witnessed_missing", first=checked + 1, last=witnessed.seq,
                       at=witnessed.at)
    found = session.exec(select(AuditEvent.hash).where(AuditEvent.seq == witnessed.seq)).first()
    if found != witnessed.hash:
        return _broken(checked, "witness_differs", seq=witnessed.seq, line=witnessed.line)
    return ChainCheck(True, checked, witnessed=witnessed.seq)


def rekey_chain(session: Session, batch: int = 5000) -> int:
    """Switch a chain written before the audit key to HMAC; return how many events were
    re-keyed (0: already keyed). Each old link is checked first (plain SHA-256 or, for
    events written by this version before the upgrade, the key), so a chain that was
    already broken is refused, never laundered. The caller commits."""
    key = _key(session)
    first = session.exec(select(AuditEvent).order_by(AuditEvent.seq).limit(1)).first()
    if first is None or hmac.compare_digest(event_hash(first, key), first.hash):
        return 0
    head = _head(session)
    old_prev, new_prev, expected_seq = GENESIS, GENESIS, 1
    for event in _events(session, batch):
        if event.seq != expected_seq or event.prev_hash != old_prev or event.hash not in (
                plain_hash(event), event_hash(event, key)):
            raise AuditChainError(f"event #{expected_seq} does not verify: the chain is "
                                  "broken, not re-keyed")
        old_prev = event.hash
        event.prev_hash = new_prev
        event.hash = new_prev = event_hash(event, key)
        expected_seq += 1
    if (head.seq, head.hash) != (expected_seq - 1, old_prev):
        raise AuditChainError("the head row does not match the chain: not re-keyed")
    head.hash = new_prev
    session.flush()
    count = expected_seq - 1
    append_event(session, entity_type="audit", entity_id="chain", trigger="rekeyed",
                 actor="system", role="system", data={"events": count})
    return count
