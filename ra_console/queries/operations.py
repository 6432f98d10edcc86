"""Read-only figures for the operators' monitoring (/metrics): outbox, CA errors, the job
sweeps' last runs, issuance latency."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, literal
from sqlmodel import Session, select

from ra_console.models import Certificate, OutboxMessage, Setting


def outbox_backlog(session: Session) -> list[tuple[str, str, int]]:
    """(kind, state, count) of the messages not done: the pending depth and the dead."""
    return list(session.exec(
        select(OutboxMessage.kind, OutboxMessage.state, func.count())
        .where(OutboxMessage.state != "done")
        .group_by(OutboxMessage.kind, OutboxMessage.state)).all())


def ca_errors(session: Session) -> list[tuple[str, str, int]]:
    """(kind, state, count) of CA calls that failed: retrying (pending) or given up (dead)."""
    return list(session.exec(
        select(OutboxMessage.kind, OutboxMessage.state, func.count())
        .where(OutboxMessage.kind.like("ca.%"), OutboxMessage.state != "done",
               OutboxMessage.last_error.is_not(None))
        .group_by(OutboxMessage.kind, OutboxMessage.state)).all())


def last_job_runs(session: Session) -> dict[str, dict]:
    """Job name -> {"at", "count", "error"} of its last sweep (jobs/sweeps.py records it)."""
    rows = session.exec(select(Setting).where(Setting.key.like("job:%"))).all()
    return {row.key.removeprefix("job:"): row.value for row in rows
            if isinstance(row.value, dict)}


def issuance_latencies(session: Session, since: datetime) -> list[float]:
    """Seconds from sending (the CA submission queued) to issued, of the certificates
    issued since `since`."""
    rows = session.exec(
        select(Certificate.issued_at, OutboxMessage.created_at)
        .join(OutboxMessage,
              OutboxMessage.dedupe_key == literal("ca.submit:") + Certificate.public_id)
        .where(Certificate.issued_at >= since)).all()
    return [max(0.0, (_naive(issued) - _naive(sent)).total_seconds())
            for issued, sent in rows]


def _naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None) if moment.tzinfo else moment  # both are UTC


LATENCY_WINDOW = timedelta(hours=24)
