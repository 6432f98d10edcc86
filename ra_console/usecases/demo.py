"""Demo data: Example University, institutes ITC and PHYS, the demo people and roles."""

from __future__ import annotations

from sqlmodel import Session, select

from ra_console.models import Institute, InstituteDomain, RoleAssignment
from ra_console.usecases.demo_people import DEMO_INSTITUTES, DEMO_PEOPLE
from ra_console.usecases.signin import upsert_person
from ra_console.workflow import audit
from ra_console.workflow.actor import SYSTEM


def seed_demo(session: Session, *, idm_domains: list[str], now) -> None:
    """Idempotent: running it twice adds nothing."""
    institutes = {}
    for code, name_de, name_en, domains in DEMO_INSTITUTES:
        institute = session.exec(select(Institute).where(Institute.code == code)).first()
        if institute is None:
            institute = Institute(code=code, name_de=name_de, name_en=name_en)
            session.add(institute)
            session.flush()
            for domain in domains:
                session.add(InstituteDomain(institute_id=institute.id, domain=domain))
        institutes[code] = institute
    for identity, roles in DEMO_PEOPLE.values():
        person = upsert_person(session, identity, idm_domains=idm_domains, now=now,
                               source="demo")
        for role, code in roles:
            institute_id = institutes[code].id if code else None
            exists = session.exec(select(RoleAssignment).where(
                RoleAssignment.person_id == person.id, RoleAssignment.role == role,
                RoleAssignment.institute_id == institute_id)).first()
            if exists is None:
                session.add(RoleAssignment(person_id=person.id, role=role,
                                           institute_id=institute_id))
                audit.append_event(session, entity_type="person", entity_id=person.public_id,
                                   trigger="role_granted", actor=SYSTEM.username,
                                   role="system", data={"role": role, "institute": code})
    session.flush()
