"""fire(): the one way a status changes."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from transitions import MachineError

from ..db import lock_row
from ..models import AuditEvent
from . import audit, registry, workflows
from .actor import Actor
from .context import FireContext
from .definition import Transition, Workflow
from .scope import in_scope


class WorkflowError(Exception):
    """A transition was refused; `code` says why (for messages), nothing was changed."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def workflow_of(row: Any) -> Workflow:
    return workflows()[type(row).__workflow__]


# Least privileged first: an admin acting on their own request acts as "user".
ROLE_ORDER = ("user", "network_contact", "id_verifier", "ra_admin", "auditor", "system")


def _role_for(session: Session, row: Any, actor: Actor, roles: frozenset[str]) -> str | None:
    for role in sorted(roles, key=ROLE_ORDER.index):
        if in_scope(session, row, actor, role):
            return role
    return None


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
    role = next(iter(sorted(actor.roles, key=ROLE_ORDER.index)), "user")
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
    role = _role_for(session, row, actor, frozenset().union(*(t.roles for t in possible)))
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


def _passes(t: Transition, ctx: FireContext) -> bool:
    return (all(registry.CONDITIONS[c](ctx) for c in t.conditions)
            and not any(registry.CONDITIONS[c](ctx) for c in t.unless))


def _audit_data(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if isinstance(v, (str, int, float, bool, type(None)))}


def available(session: Session, row: Any, actor: Actor,
              audiences: tuple[str, ...] = ("user", "operator")) -> list[Transition]:
    """Transitions this actor could fire on this row now (one per trigger), for buttons:
    the portal asks for audience "user", the console for "user" and "operator"."""
    workflow = workflow_of(row)
    found: dict[str, Transition] = {}
    for t in workflow.transitions_from(str(row.status)):
        if t.trigger in found or t.audience not in audiences:
            continue
        role = _role_for(session, row, actor, t.roles)
        if role is None:
            continue
        ctx = FireContext(session=session, row=row, trigger=t.trigger, actor=actor, role=role)
        if _passes(t, ctx):
            found[t.trigger] = t
    return list(found.values())
