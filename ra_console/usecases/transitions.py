"""A person presses a workflow button: a transition the definitions offer to the portal
(audience "user") or to the console's row actions (audience "operator"). Which buttons
show is workflow.state.available(); the engine checks role, scope, state and conditions
again when the button is pressed."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from ra_console.models import AuditEvent
from ra_console.workflow.actor import Actor
from ra_console.workflow.engine import fire


def perform(session: Session, row: Any, trigger: str, actor: Actor, **data: Any) -> AuditEvent:
    """Fire `trigger` on `row` for `actor` (WorkflowError when refused; nothing changed)."""
    return fire(session, row, trigger, actor, **data)
