"""Row-level scope: may this actor act on this row in this role?"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from ra_console.models import Certificate, Mailbox
from ra_console.workflow.actor import Actor

GLOBAL_ROLES = {"ra_admin", "id_verifier", "auditor"}


def owner_id(row: Any) -> int | None:
    """The person a row belongs to (requests and mailboxes)."""
    if isinstance(row, Certificate):
        return row.person_id
    if isinstance(row, Mailbox):
        return row.owner_id
    return getattr(row, "person_id", None)


def institute_id(session: Session, row: Any) -> int | None:
    if isinstance(row, Mailbox):
        return row.institute_id
    if isinstance(row, Certificate):
        mailbox = session.get(Mailbox, row.mailbox_id)
        return mailbox.institute_id if mailbox else None
    return None


def in_scope(session: Session, row: Any, actor: Actor, role: str) -> bool:
    if not actor.has_role(role):
        return False
    if role == "system" or role in GLOBAL_ROLES:
        return True
    if role == "user":
        return actor.person_id is not None and owner_id(row) == actor.person_id
    if role == "network_contact":
        return institute_id(session, row) in actor.institutes()
    if role == "key_holder":  # scoped to the certificates whose key the actor proved
        return isinstance(row, Certificate) and row.id in actor.roles["key_holder"]
    return False
