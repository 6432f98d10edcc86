"""The append-only, hash-chained audit log: append and verify."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlmodel import Session, select

from ra_console.core.db import lock_row, session_now
from ra_console.models import AuditEvent, AuditHead

GENESIS = "0" * 64


def _utc_naive(at: datetime) -> datetime:
    # SQLite hands back naive datetimes: hash the same value before and after a reload.
    return at.astimezone(timezone.utc).replace(tzinfo=None) if at.tzinfo else at


def event_hash(event: AuditEvent) -> str:
    body = {
        "seq": event.seq, "entity_type": event.entity_type, "entity_id": event.entity_id,
        "trigger": event.trigger, "from": event.from_state, "to": event.to_state,
        "actor": event.actor, "role": event.role, "at": _utc_naive(event.at).isoformat(),
        "ip": event.ip, "data": event.data, "prev": event.prev_hash,
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _head(session: Session) -> AuditHead:
    head = session.get(AuditHead, 1)
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS)
        session.add(head)
        session.flush()
    lock_row(session, head)  # orders concurrent writers: one chain, no forks
    return head


def append_event(session: Session, *, entity_type: str, entity_id: str, trigger: str,
                 actor: str, role: str, from_state: str | None = None,
                 to_state: str | None = None, ip: str | None = None,
                 data: dict[str, Any] | None = None, at: datetime | None = None) -> AuditEvent:
    """Append one event in the caller's transaction."""
    head = _head(session)
    event = AuditEvent(
        seq=head.seq + 1, entity_type=entity_type, entity_id=entity_id, trigger=trigger,
        from_state=from_state, to_state=to_state, actor=actor, role=role, ip=ip,
        data=data or {}, prev_hash=head.hash, at=at or session_now(session), hash="",
    )
    event.hash = event_hash(event)
    head.seq, head.hash = event.seq, event.hash
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    checked: int
    problem: str | None = None


def verify_chain(session: Session, batch: int = 5000) -> ChainCheck:
    """Recompute every hash; report the first changed, missing or reordered event."""
    prev, expected_seq, checked, last_id = GENESIS, 1, 0, 0
    while True:
        events = session.exec(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).all()
        if not events:
            break
        for event in events:
            if event.seq != expected_seq:
                return ChainCheck(False, checked, f"event #{expected_seq} is missing")
            if event.prev_hash != prev or event_hash(event) != event.hash:
                return ChainCheck(False, checked, f"event #{event.seq} was changed")
            prev, expected_seq, checked, last_id = event.hash, event.seq + 1, checked + 1, event.id
    head = session.get(AuditHead, 1)
    if head is not None and (head.seq != checked or head.hash != prev):
        return ChainCheck(False, checked, f"events after #{checked} are missing")
    return ChainCheck(True, checked)
