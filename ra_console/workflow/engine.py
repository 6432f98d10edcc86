"""fire(): the one way a status changes."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from transitions import MachineError

from ra_console.core.db import lock_row
from ra_console.models import AuditEvent
from ra_console.workflow import audit, registry
from ra_console.workflow.actor import Actor
from ra_console.workflow.context import FireContext
from ra_console.workflow.state import ROLE_ORDER, WorkflowError, role_for, workflow_of


def create(session: Session, row: Any, actor: Actor, *, state: str | None = None,
           data: dict[str, Any] | None = None) -> AuditEvent:
    """Insert a new workflow row in its initial (or an entry) state, audited."""
    workflow = workflow_of(row)
    state = state or workflow.initial
    if state != workflow.initial and state not in workflow.entries:
        raise WorkflowError("bad_entry", f"{workflow.name} rows cannot start in '{state}'")
    row.status = state
    session.add(row)
    session.flush()
    # an actor without any role is someone not signed in (a problem report's reporter)
    role = next(iter(sorted(actor.roles, key=ROLE_ORDER.index)), "anonymous")
    return audit.append_event(
        session, entity_type=workflow.name, entity_id=row.public_id, trigger="create",
        to_state=state, actor=actor.username, role=role, ip=actor.ip, data=data,
    )


def fire(session: Session, row: Any, trigger: str, actor: Actor, **data: Any) -> AuditEvent:
    """Run `trigger` on `row` for `actor` inside the caller's transaction.

    Checks role and scope, locks the row, runs the transition, audits it and enqueues
    the effects. Raises WorkflowError; the caller then rolls back."""
    workflow = workflow_of(row)
    candidates = [t for t in workflow.transitions if t.trigger == trigger]
    if not candidates:
        raise WorkflowError("unknown_trigger", f"{workflow.name} has no trigger '{trigger}'")
    lock_row(session, row)
    source = str(row.status)
    possible = [t for t in candidates if source in t.sources]
    if not possible:
        raise WorkflowError("wrong_state", f"'{trigger}' is not possible in state '{source}'")
    role = role_for(session, row, actor, frozenset().union(*(t.roles for t in possible)))
    if role is None:
        raise WorkflowError("forbidden", f"{actor.username} may not '{trigger}' this row")
    ctx = FireContext(session=session, row=row, trigger=trigger, actor=actor, role=role,
                      data=data)
    try:
        moved = workflow.machine.events[trigger].trigger(row, ctx=ctx)
    except MachineError as exc:
        raise WorkflowError("wrong_state", str(exc)) from None
    if not moved:
        raise WorkflowError("condition", f"'{trigger}' is not allowed now")
    taken = ctx.transition
    if role not in taken.roles:
        raise WorkflowError("forbidden", f"{actor.username} may not '{trigger}' this row")
    row.status = str(row.status)
    for name in taken.effects:
        registry.EFFECTS[name](ctx)
    return audit.append_event(
        session, entity_type=workflow.name, entity_id=row.public_id, trigger=trigger,
        from_state=source, to_state=row.status, actor=actor.username, role=role,
        ip=actor.ip, data=_audit_data(data),
    )


def _audit_data(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if isinstance(v, (str, int, float, bool, type(None)))}
