"""The signed-in person and their roles, for the current request."""

from __future__ import annotations

from collections.abc import Iterable

from flask import g, request, session as http_session
from sqlalchemy.orm import lazyload
from sqlmodel import select

from ra_console.core.db import get_session
from ra_console.models import Person, RoleAssignment
from ra_console.web.session_policy import is_current_generation
from ra_console.workflow.actor import Actor


def current_person() -> Person | None:
    if "person" not in g:
        person_id = http_session.get("person_id")
        g.person, g.role_assignments = None, []
        if person_id:
            # the person and their role assignments in one round trip: every page needs
            # both (the assignments' own person and institute only if asked: one
            # statement less on every page)
            rows = get_session().exec(
                select(Person, RoleAssignment)
                .outerjoin(RoleAssignment, RoleAssignment.person_id == Person.id)
                .where(Person.id == person_id)
                .options(lazyload(RoleAssignment.person),
                         lazyload(RoleAssignment.institute))).all()
            if rows and is_current_generation(rows[0][0].session_generation):
                g.person = rows[0][0]
                g.role_assignments = [assignment for _, assignment in rows if assignment]
    return g.person


def _actor(person: Person, assignments: Iterable[RoleAssignment], ip: str | None) -> Actor:
    roles: dict[str, set[int]] = {"user": set()}
    for assignment in assignments:
        institutes = roles.setdefault(assignment.role, set())
        if assignment.institute_id is not None:
            institutes.add(assignment.institute_id)
    return Actor(username=person.username, person_id=person.id,
                 roles={role: frozenset(ids) for role, ids in roles.items()}, ip=ip)


def actor_for(person: Person, db_session, ip: str | None = None) -> Actor:
    return _actor(person, db_session.exec(
        select(RoleAssignment).where(RoleAssignment.person_id == person.id)
        .options(lazyload(RoleAssignment.person), lazyload(RoleAssignment.institute))).all(),
        ip)


def current_actor() -> Actor | None:
    if "actor" not in g:
        person = current_person()
        g.actor = _actor(person, g.role_assignments, request.remote_addr) if person else None
    return g.actor
