"""The weekly digest for network contacts who opted in: their institutes' figures (the
same query as their console start page, queries/institute_figures.py), by mail.

The sweep queues one `mail.digest` message per person and ISO week (in the configured
time zone); the dedupe key names both, so a second run in the same week, or a runner
taking over the lead, queues nothing again. The handler counts when it sends."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import exists, literal
from sqlmodel import select

from ra_console.adapters.outbox import enqueue
from ra_console.models import OutboxMessage, Person, RoleAssignment

DIGEST = "mail.digest"


def week_of(now: datetime, zone: str) -> str:
    """The ISO week, e.g. 2026-W49, in the RA's time zone (a week starts Monday 00:00)."""
    year, week, _day = now.astimezone(ZoneInfo(zone)).isocalendar()
    return f"{year}-W{week:02d}"


def send_weekly_digests(runtime) -> int:
    """Queue this week's digest of every opted-in network contact; returns how many."""
    week = week_of(runtime.now(), runtime.config["timezone"])
    prefix = f"{DIGEST}:{week}:"
    with runtime.session() as session:
        is_contact = exists().where(RoleAssignment.person_id == Person.id,
                                    RoleAssignment.role == "network_contact")
        queued = exists().where(OutboxMessage.dedupe_key == literal(prefix) + Person.public_id)
        people = session.exec(select(Person.public_id).where(
            Person.weekly_digest.is_(True), is_contact, ~queued)).all()
        for public_id in people:
            enqueue(session, DIGEST, {"person": public_id, "week": week}, prefix + public_id)
        session.commit()
    return len(people)
