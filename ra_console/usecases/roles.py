"""Operator roles granted outside the console: `ra-console admin grant` creates the first
RA admin (who then grants the others in the console)."""

from __future__ import annotations

from sqlmodel import Session, select

from ra_console.core.config import MAPPABLE_ROLES
from ra_console.models import Institute, Person, RoleAssignment
from ra_console.workflow import audit


class RoleError(Exception):
    """A grant that cannot be made; the message says why (operators read it in a shell)."""


def grant_role(session: Session, username: str, role: str, institute_code: str | None,
               *, granted_by: str) -> bool:
    """Grant `role` (for network_contact: at `institute_code`) to the person `username`,
    creating the person when they have never signed in (their first sign-in fills in the
    rest). Audited as role_granted. False when they hold it already. The caller commits."""
    if role not in MAPPABLE_ROLES:
        raise RoleError(f"unknown role {role!r}: use one of {', '.join(sorted(MAPPABLE_ROLES))}")
    if (role == "network_contact") != bool(institute_code):
        raise RoleError("network_contact needs --institute, the other roles take none")
    institute_id = None
    if institute_code:
        institute = session.exec(select(Institute).where(
            Institute.code == institute_code)).first()
        if institute is None:
            raise RoleError(f"no institute with the code {institute_code!r}")
        institute_id = institute.id
    username = username.strip()
    if not username or len(username) > 200:
        raise RoleError("the user name must have 1 to 200 characters")
    person = session.exec(select(Person).where(Person.username == username)).first()
    if person is None:
        person = Person(username=username)
        session.add(person)
        session.flush()
    held = session.exec(select(RoleAssignment).where(
        RoleAssignment.person_id == person.id, RoleAssignment.role == role,
        RoleAssignment.institute_id == institute_id)).first()
    if held is not None:
        return False
    session.add(RoleAssignment(person_id=person.id, role=role, institute_id=institute_id,
                               source="console"))
    audit.append_event(session, entity_type="role", entity_id=person.public_id,
                       trigger="role_granted", actor=granted_by, role="operator",
                       data={"role": role, "institute_id": institute_id, "source": "cli"})
    session.flush()
    return True
