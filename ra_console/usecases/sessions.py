"""Ending every session of a person on the server (signed cookies cannot be recalled)."""

from __future__ import annotations

from sqlmodel import Session

from ra_console.models import Person
from ra_console.workflow import audit
from ra_console.workflow.actor import Actor


def end_all_sessions(session: Session, person: Person, actor: Actor, *, trigger: str,
                     role: str) -> None:
    """Raise the person's session generation: every cookie that carries the old one (this
    browser, other browsers, stolen copies) is refused at its next request. `trigger` names
    the occasion in the audit log (logout, sign_out_everywhere)."""
    person.session_generation += 1
    audit.append_event(session, entity_type="person", entity_id=person.public_id,
                       trigger=trigger, actor=actor.username, role=role, ip=actor.ip)
