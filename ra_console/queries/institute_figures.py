"""Per-institute figures for the console's start page and its CSV: addresses waiting for
confirmation (and since when), challenges unanswered for a week, certificates expiring,
revocations scheduled. Each figure is one GROUP BY in the database, never a row loop."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func
from sqlmodel import Session, select

from ra_console.models import Certificate, Challenge, Institute, Mailbox

UNANSWERED_AFTER = timedelta(days=7)


@dataclass(frozen=True)
class InstituteFigures:
    # plain values, no row: the dashboard keeps the figures beyond the session
    institute_id: int
    code: str
    name_de: str
    name_en: str
    waiting: int = 0  # address rows waiting for a challenge to be answered
    waiting_since: datetime | None = None  # the oldest challenge still open
    unanswered_week: int = 0  # rows whose open challenge is older than UNANSWERED_AFTER
    expiring_30: int = 0
    expiring_60: int = 0
    revocations_scheduled: int = 0  # issued certificates the offboarding job will revoke


def _by_institute(session: Session, *columns, where=(), join=None) -> dict[int, tuple]:
    query = select(Mailbox.institute_id, *columns).select_from(Mailbox)
    if join is not None:
        query = query.join(*join)
    rows = session.exec(query.where(*where).group_by(Mailbox.institute_id)).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def institute_figures(session: Session, now: datetime,
                      institute_ids: set[int] | None = None) -> list[InstituteFigures]:
    """The figures of the given institutes (all when None), ordered by code."""
    scope = () if institute_ids is None else (Mailbox.institute_id.in_(institute_ids),)
    waiting = _by_institute(session, func.count(), where=(
        Mailbox.status == "pending_challenge", *scope))
    is_open = (Challenge.redeemed_at.is_(None), Challenge.superseded_at.is_(None))
    open_challenges = _by_institute(
        session, func.min(Challenge.created_at),
        func.count(func.distinct(case((Challenge.created_at <= now - UNANSWERED_AFTER,
                                       Mailbox.id)))),
        join=(Challenge, Challenge.mailbox_id == Mailbox.id),
        where=(Mailbox.status == "pending_challenge", *is_open, *scope))
    expiring = _by_institute(
        session,
        func.count(case((Certificate.not_after <= now + timedelta(days=30), 1))),
        func.count(case((Certificate.not_after <= now + timedelta(days=60), 1))),
        func.count(case((Certificate.offboard_at.is_not(None), 1))),
        join=(Certificate, Certificate.mailbox_id == Mailbox.id),
        where=(Certificate.status == "issued", *scope))
    institutes = session.exec(select(Institute).where(
        *(() if institute_ids is None else (Institute.id.in_(institute_ids),)))
        .order_by(Institute.code)).all()
    figures = []
    for institute in institutes:
        since, unanswered = open_challenges.get(institute.id, (None, 0))
        soon, later, scheduled = expiring.get(institute.id, (0, 0, 0))
        figures.append(InstituteFigures(
            institute_id=institute.id, code=institute.code, name_de=institute.name_de,
            name_en=institute.name_en, waiting=waiting.get(institute.id, (0,))[0],
            waiting_since=since, unanswered_week=unanswered, expiring_30=soon,
            expiring_60=later, revocations_scheduled=scheduled))
    return figures
