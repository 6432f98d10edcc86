"""A row's path through its workflow, read from its audit events."""

from __future__ import annotations

from sqlmodel import Session, select

from ra_console.models import AuditEvent


def state_path(session: Session, entity_type: str, entity_id: str
               ) -> tuple[tuple[str, str, str], ...]:
    """(from state, trigger, to state) of every transition the row took, oldest first."""
    return tuple(tuple(event) for event in session.exec(
        select(AuditEvent.from_state, AuditEvent.trigger, AuditEvent.to_state)
        .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == entity_id,
               AuditEvent.from_state.is_not(None), AuditEvent.to_state.is_not(None))
        .order_by(AuditEvent.seq)))
