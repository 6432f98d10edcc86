"""The outbox: enqueue in the caller's transaction; drain later with retries."""

from __future__ import annotations

import logging
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from sqlalchemy import event as orm_event, orm, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from ra_console.adapters.audit_witness import within
from ra_console.core.db import is_sqlite, session_now
from ra_console.core.logs import request_id
from ra_console.models import OutboxMessage

log = logging.getLogger(__name__)


# The outbox row being handled: lets a mail carry a Message-ID derived from its row, so a
# message sent again after a crash (between SMTP and commit) is recognisably the same one.
current_message: ContextVar["OutboxMessage | None"] = ContextVar("current_message",
                                                                 default=None)


class RetryLater(Exception):
    """A handler's way to say: not done yet, try again after the backoff (no error)."""


def enqueue(session: Session, kind: str, payload: dict[str, Any], dedupe_key: str
            ) -> OutboxMessage:
    """Add a message unless one with the same dedupe key exists (then return that one).

    In a session from inserted_at_commit() the message is only queued here (the returned
    object is not saved) and inserted with the others, in one statement, at commit."""
    deferred = session.info.get(_DEFERRED)
    if deferred is not None:
        return _defer(session, deferred, kind, payload, dedupe_key)
    existing = session.exec(
        select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key)
    ).first()
    if existing is not None:
        return existing
    now = session_now(session)
    if request_id.get():  # its handling is logged under the id of what caused it
        payload = {**payload, "request_id": request_id.get()}
    message = OutboxMessage(kind=kind, payload=payload, dedupe_key=dedupe_key,
                            next_attempt_at=now, created_at=now)
    session.add(message)
    session.flush()
    return message


# The job runner's batch enqueues a mail for every certificate it issues: a SELECT (the
# dedupe key) and an INSERT each. Deferred to the commit, they are one INSERT … ON
# CONFLICT (dedupe_key) DO NOTHING for the batch; a savepoint that rolls back drops its
# messages with it (as the audit events queued by workflow.audit.chained_at_commit).
_DEFERRED = "outbox_deferred"


def inserted_at_commit(session: Session) -> Session:
    """Let this session's enqueued messages be inserted together when it commits."""
    session.info[_DEFERRED] = {}
    return session


def _defer(session: Session, deferred: dict, kind: str, payload: dict[str, Any],
           dedupe_key: str) -> OutboxMessage:
    if dedupe_key in deferred:  # the first one wins, as with a stored message
        return deferred[dedupe_key][1]
    now = session_now(session)
    if request_id.get():
        payload = {**payload, "request_id": request_id.get()}
    # model_construct: no validation (the values are ours), a tenth of the constructor
    message = OutboxMessage.model_construct(
        kind=kind, payload=payload, dedupe_key=dedupe_key, state="pending", attempts=0,
        next_attempt_at=now, created_at=now)
    deferred[dedupe_key] = (session.get_nested_transaction(), message)
    return message


@orm_event.listens_for(orm.Session, "before_commit")
def _insert_deferred(session: Session) -> None:
    deferred = session.info.get(_DEFERRED)
    if not deferred or session.in_nested_transaction():  # a savepoint's release: not yet
        return
    session.info[_DEFERRED] = {}
    rows = [{"kind": m.kind, "payload": m.payload, "dedupe_key": m.dedupe_key,
             "state": m.state, "attempts": m.attempts, "next_attempt_at": m.next_attempt_at,
             "created_at": m.created_at} for _, m in deferred.values()]
    insert = sqlite_insert if is_sqlite(session) else pg_insert
    session.execute(insert(OutboxMessage).values(rows)
                    .on_conflict_do_nothing(index_elements=["dedupe_key"]))


@orm_event.listens_for(orm.Session, "after_soft_rollback")
def _drop_deferred(session: Session, previous_transaction) -> None:
    deferred = session.info.get(_DEFERRED)
    if not deferred:
        return
    session.info[_DEFERRED] = {} if not previous_transaction.nested else {
        key: entry for key, entry in deferred.items()
        if not within(entry[0], previous_transaction)}


def backoff(attempts: int, base: int, cap: int) -> timedelta:
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def _claim(session: Session, now: datetime, limit: int, kinds: frozenset[str],
           batched: bool) -> list[OutboxMessage]:
    """Due messages of `kinds` (batched) or of every other kind; on PostgreSQL locked
    with SKIP LOCKED, so that other runners claim other rows."""
    kind_rule = (OutboxMessage.kind.in_(kinds) if batched
                 else OutboxMessage.kind.not_in(kinds))
    query = (select(OutboxMessage)
             .where(OutboxMessage.state == "pending", OutboxMessage.next_attempt_at <= now,
                    kind_rule)
             .order_by(OutboxMessage.id).limit(limit))
    if not is_sqlite(session):
        query = query.with_for_update(skip_locked=True)
    return list(session.exec(query).all())


Handler = Callable[[Session, OutboxMessage], None]
# Before a batch's messages are handled, one call with all of them of its kind: loads
# what they need in a few statements (see jobs.handlers.prepare_ca_submit).
Prepare = Callable[[Session, list[OutboxMessage]], None]


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    backoff_seconds: int
    backoff_max_seconds: int


def drain(session_factory: Callable[[], Session], handlers: dict[str, Handler], *,
          now: Callable[[], datetime], batch_size: int, max_attempts: int,
          backoff_seconds: int, backoff_max_seconds: int,
          batched: frozenset[str] = frozenset(), others: bool = True,
          prepare: dict[str, Prepare] | None = None) -> int:
    """Handle due messages; returns how many were handled.

    Kinds in `batched` are claimed together and handled in one transaction (see
    _handle_batch): one claim and one commit per batch, and their rows stay locked until then,
    so several runners share the queue without doing a message twice. Every other kind
    (mail: sent again after a crash, it must stay one message) in its own transaction;
    others=False leaves them for later (the bench measures the issuance pipeline alone)."""
    policy = RetryPolicy(max_attempts, backoff_seconds, backoff_max_seconds)
    ids = []
    if others:  # what is due now; messages the batch enqueues wait for the next pass
        with session_factory() as session:
            ids = [m.id for m in _claim(session, now(), batch_size, batched, batched=False)]
            session.rollback()
    handled = 0
    if batched:
        with session_factory() as session:
            messages = _claim(session, now(), batch_size, batched, batched=True)
            for kind, prepare_kind in (prepare or {}).items():
                mine = [m for m in messages if m.kind == kind]
                if mine:
                    prepare_kind(session, mine)
            handled += _handle_batch(session, messages, handlers, now(), policy)
    for message_id in ids:
        with session_factory() as session:
            handled += _handle_one(session, message_id, handlers, now(), policy)
    return handled


def _run(session: Session, message: OutboxMessage, handlers: dict[str, Handler]) -> None:
    handler = handlers.get(message.kind)
    if handler is None:
        raise LookupError(f"no handler for outbox kind '{message.kind}'")
    token = current_message.set(message)
    # its handling is logged under the id of the request or job run that queued it
    id_token = request_id.set(message.payload.get("request_id") or request_id.get())
    try:
        handler(session, message)
    finally:
        current_message.reset(token)
        request_id.reset(id_token)


def _handle_batch(session: Session, messages: list[OutboxMessage],
                  handlers: dict[str, Handler], now: datetime, policy: RetryPolicy) -> int:
    """All messages under one savepoint, flushed together (a savepoint per message was two
    of a certificate's three statements). If a message fails, that savepoint is rolled
    back and the batch redone one savepoint per message, so that only the failing one is
    rescheduled: it is not run again (its failure is kept), the messages after it run
    for the first time, and those before it run a second time in this transaction.
    Handlers of batched kinds therefore keep what an outside party answered them in the
    batch and do not ask again (jobs.handlers.handle_ca_submit: a request is never
    submitted to the CA twice). The batch's row locks stay: taken at the root."""
    failed: dict[int, Exception] = {}
    try:
        with session.begin_nested():
            for message in messages:
                try:
                    _run(session, message, handlers)
                except Exception as exc:
                    failed[message.id] = exc
                    raise
            session.flush()  # a database error shows here (then every message is redone)
    except Exception:  # noqa: BLE001 - redone message by message below
        return _handle_each(session, messages, handlers, now, policy, failed)
    return _finish(session, [m.id for m in messages], now)


def _handle_each(session: Session, messages: list[OutboxMessage],
                 handlers: dict[str, Handler], now: datetime, policy: RetryPolicy,
                 failed: dict[int, Exception]) -> int:
    done = []
    for message in messages:
        error = failed.get(message.id)
        if error is None:
            try:
                with session.begin_nested():  # a failure undoes this message's work only
                    _run(session, message, handlers)
            except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
                error = exc
        if error is None:
            done.append(message.id)
        else:
            _reschedule(message, now, policy, _error_text(message, error))
    return _finish(session, done, now)


def _error_text(message: OutboxMessage, error: Exception) -> str | None:
    """What is recorded of a failure (logged); None for RetryLater, which is none."""
    if isinstance(error, RetryLater):
        return None
    log.warning("outbox %s (%s) failed: %s", message.id, message.kind, error)
    return f"{type(error).__name__}: {error}"[:2000]


def _finish(session: Session, done: list[int], now: datetime) -> int:
    if done:  # one statement for the batch
        session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(done)).values(
            state="done", done_at=now, last_error=None, attempts=OutboxMessage.attempts + 1))
    session.commit()
    return len(done)


def _handle_one(session: Session, message_id: int, handlers: dict[str, Handler],
                now: datetime, policy: RetryPolicy) -> int:
    query = select(OutboxMessage).where(OutboxMessage.id == message_id,
                                        OutboxMessage.state == "pending")
    if not is_sqlite(session):
        query = query.with_for_update(skip_locked=True)
    message = session.exec(query).first()
    if message is None:  # another runner took it
        session.rollback()
        return 0
    try:
        _run(session, message, handlers)
    except RetryLater:
        session.rollback()
        _reschedule(session.get(OutboxMessage, message_id), now, policy, None)
        session.commit()
        return 0
    except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
        session.rollback()
        log.warning("outbox %s (%s) failed: %s", message_id, message.kind, exc)
        _reschedule(session.get(OutboxMessage, message_id), now, policy,
                    f"{type(exc).__name__}: {exc}"[:2000])
        session.commit()
        return 0
    _done(message, now)
    session.commit()
    return 1


def _done(message: OutboxMessage, now: datetime) -> None:
    message.state, message.done_at, message.last_error = "done", now, None
    message.attempts += 1


def _reschedule(message: OutboxMessage, now: datetime, policy: RetryPolicy,
                error: str | None) -> None:
    message.attempts += 1
    if error is not None:
        message.last_error = error
    if error is not None and message.attempts >= policy.max_attempts:
        message.state = "dead"
    else:
        message.next_attempt_at = now + backoff(message.attempts, policy.backoff_seconds,
                                                policy.backoff_max_seconds)


def retry_dead(session: Session, message_id: int, now: datetime | None = None) -> None:
    """Operator action: give a dead message a fresh start."""
    message = session.get(OutboxMessage, message_id)
    if message is not None and message.state == "dead":
        message.state, message.attempts = "pending", 0
        message.next_attempt_at = now or datetime.now(timezone.utc)

