"""What the workflow allows, read-only: the row's workflow, which role an actor acts in,
and the transitions an actor could fire now (for buttons). fire() in engine.py changes."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from ra_console.workflow import registry, workflows
from ra_console.workflow.actor import Actor
from ra_console.workflow.context import FireContext
from ra_console.workflow.definition import Transition, Workflow
from ra_console.workflow.scope import in_scope


class WorkflowError(Exception):
    """A transition was refused; `code` says why (for messages), nothing was changed."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def workflow_of(row: Any) -> Workflow:
    return workflows()[type(row).__workflow__]


# Least privileged first: an admin acting on their own request acts as "user".
ROLE_ORDER = ("key_holder", "user", "network_contact", "id_verifier", "ra_admin", "auditor",
              "system")


def role_for(session: Session, row: Any, actor: Actor, roles: frozenset[str]) -> str | None:
    for role in sorted(roles, key=ROLE_ORDER.index):
        if in_scope(session, row, actor, role):
            return role
    return None


def passes(t: Transition, ctx: FireContext) -> bool:
    return (all(registry.CONDITIONS[c](ctx) for c in t.conditions)
            and not any(registry.CONDITIONS[c](ctx) for c in t.unless))


def available(session: Session, row: Any, actor: Actor,
              audiences: tuple[str, ...] = ("user", "operator")) -> list[Transition]:
    """Transitions this actor could fire on this row now (one per trigger), for buttons:
    the portal asks for audience "user", the console for "user" and "operator"."""
    workflow = workflow_of(row)
    found: dict[str, Transition] = {}
    for t in workflow.transitions_from(str(row.status)):
        if t.trigger in found or t.audience not in audiences:
            continue
        role = role_for(session, row, actor, t.roles)
        if role is None:
            continue
        ctx = FireContext(session=session, row=row, trigger=t.trigger, actor=actor, role=role)
        if passes(t, ctx):
            found[t.trigger] = t
    return list(found.values())
