"""A network contact opts in to (or out of) the weekly digest of their institutes'
figures; the choice is audited like every change a person makes in the console."""

from __future__ import annotations

from sqlmodel import Session

from ra_console.models import Person
from ra_console.workflow import audit
from ra_console.workflow.actor import Actor


class DigestError(Exception):
    """Only network contacts have institutes to report on."""


def set_weekly_digest(session: Session, actor: Actor, wanted: bool, lang: str) -> bool:
    """Store the choice, and on ordering the language of the page it was ordered on (the
    digest's language); True when something changed (the caller commits)."""
    if not actor.has_role("network_contact") or actor.person_id is None:
        raise DigestError("not_network_contact")
    person = session.get(Person, actor.person_id)
    if wanted and lang in ("de", "en") and person.locale != lang:
        person.locale = lang
        session.add(person)
    if person.weekly_digest == wanted:
        return False
    person.weekly_digest = wanted
    session.add(person)
    audit.append_event(session, entity_type="person", entity_id=person.public_id,
                       trigger="digest_on" if wanted else "digest_off",
                       actor=actor.username, role="network_contact", ip=actor.ip,
                       data={"weekly_digest": wanted, "language": person.locale})
    return True
