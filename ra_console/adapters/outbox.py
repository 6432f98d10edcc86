"""The outbox: enqueue in the caller's transaction; drain later with retries."""

from __future__ import annotations

import logging
from contextvars import ContextVar
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from sqlmodel import Session, select

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
    """Add a message unless one with the same dedupe key exists (then return that one)."""
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


def backoff(attempts: int, base: int, cap: int) -> timedelta:
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def _claim(session: Session, now: datetime, limit: int) -> list[OutboxMessage]:
    query = (select(OutboxMessage)
             .where(OutboxMessage.state == "pending", OutboxMessage.next_attempt_at <= now)
             .order_by(OutboxMessage.id).limit(limit))
    if not is_sqlite(session):
        query = query.with_for_update(skip_locked=True)
    return list(session.exec(query).all())


Handler = Callable[[Session, OutboxMessage], None]


def drain(session_factory: Callable[[], Session], handlers: dict[str, Handler], *,
          now: Callable[[], datetime], batch_size: int, max_attempts: int,
          backoff_seconds: int, backoff_max_seconds: int) -> int:
    """Handle due messages, each in its own transaction. Returns how many were handled."""
    with session_factory() as session:
        ids = [m.id for m in _claim(session, now(), batch_size)]
        session.rollback()
    handled = 0
    for message_id in ids:
        with session_factory() as session:
            handled += _handle_one(session, message_id, handlers, now(), max_attempts,
                                   backoff_seconds, backoff_max_seconds)
    return handled


def _handle_one(session: Session, message_id: int, handlers: dict[str, Handler],
                now: datetime, max_attempts: int, base: int, cap: int) -> int:
    query = select(OutboxMessage).where(OutboxMessage.id == message_id,
                                        OutboxMessage.state == "pending")
    if not is_sqlite(session):
        query = query.with_for_update(skip_locked=True)
    message = session.exec(query).first()
    if message is None:  # another runner took it
        session.rollback()
        return 0
    handler = handlers.get(message.kind)
    token = current_message.set(message)
    id_token = request_id.set(message.payload.get("request_id") or request_id.get())
    try:
        if handler is None:
            raise LookupError(f"no handler for outbox kind '{message.kind}'")
        handler(session, message)
    except RetryLater:
        session.rollback()
        _reschedule(session, message_id, now, base, cap, max_attempts, None)
        return 0
    except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
        session.rollback()
        log.warning("outbox %s (%s) failed: %s", message_id, message.kind, exc)
        _reschedule(session, message_id, now, base, cap, max_attempts,
                    f"{type(exc).__name__}: {exc}"[:2000])
        return 0
    finally:
        current_message.reset(token)
        request_id.reset(id_token)
    message.state, message.done_at, message.last_error = "done", now, None
    message.attempts += 1
    session.commit()
    return 1


def _reschedule(session: Session, message_id: int, now: datetime, base: int, cap: int,
                max_attempts: int, error: str | None) -> None:
    message = session.get(OutboxMessage, message_id)
    message.attempts += 1
    if error is not None:
        message.last_error = error
    if error is not None and message.attempts >= max_attempts:
        message.state = "dead"
    else:
        message.next_attempt_at = now + backoff(message.attempts, base, cap)
    session.commit()


def retry_dead(session: Session, message_id: int, now: datetime | None = None) -> None:
    """Operator action: give a dead message a fresh start."""
    message = session.get(OutboxMessage, message_id)
    if message is not None and message.state == "dead":
        message.state, message.attempts = "pending", 0
        message.next_attempt_at = now or datetime.now(timezone.utc)

