"""The signed-in person and their roles, for the current request."""

from __future__ import annotations

from flask import g, request, session as http_session
from sqlmodel import select

from ..db import get_session
from ..models import Person, RoleAssignment
from ..workflow.actor import Actor


def current_person() -> Person | None:
    if "person" not in g:
        person_id = http_session.get("person_id")
        g.person = get_session().get(Person, person_id) if person_id else None
    return g.person


def actor_for(person: Person, db_session, ip: str | None = None) -> Actor:
    roles: dict[str, set[int]] = {"user": set()}
    for assignment in db_session.exec(
        select(RoleAssignment).where(RoleAssignment.person_id == person.id)
    ).all():
        institutes = roles.setdefault(assignment.role, set())
        if assignment.institute_id is not None:
            institutes.add(assignment.institute_id)
    return Actor(username=person.username, person_id=person.id,
                 roles={role: frozenset(ids) for role, ids in roles.items()}, ip=ip)


def current_actor() -> Actor | None:
    if "actor" not in g:
        person = current_person()
        g.actor = actor_for(person, get_session(), request.remote_addr) if person else None
    return g.actor
