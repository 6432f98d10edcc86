"""A page of the console's certificate list: the listed columns of the page's certificates
with the holder's name and the institute, in one statement, as plain rows (no ORM
entities: loading and rendering entities cost a full page as much as the search itself;
docs/performance.md)."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Subquery, literal_column, select
from sqlalchemy.engine import Row

from ra_console.models import Certificate, Institute, Mailbox, Person

LISTED = (
    select(Certificate.id, Certificate.public_id, Certificate.status, Certificate.addresses,
           Certificate.profile, Certificate.created_at, Certificate.not_after,
           Certificate.serial, Certificate.ca_name, Person.username, Person.given_name,
           Person.surname, Person.legal_given_name, Person.legal_surname,
           Institute.code.label("institute"))
    .outerjoin(Person, Person.id == Certificate.person_id)
    .outerjoin(Mailbox, Mailbox.id == Certificate.mailbox_id)
    .outerjoin(Institute, Institute.id == Mailbox.institute_id))


def listed_certificates(session, ids: list[int]) -> list[Row]:
    """The rows of `ids`, in that order (ids not found are left out)."""
    if not ids:
        return []
    found = {row.id: row for row in session.execute(LISTED.where(Certificate.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def listed_page(session, page: Subquery, params: dict) -> tuple[int | None, list[Row]]:
    """The rows of a page subquery (`certificate_id`, `position`, and `total`: the count
    of the whole result) in its order, with that count; None for no rows."""
    rows = session.execute(_joined(page), params).all()
    return (rows[0].total if rows else None), rows


@lru_cache(maxsize=32)
def _joined(page: Subquery):
    """Made once per page statement (those are made once, console/name_search.py)."""
    return (LISTED.add_columns(page.c.total)
            .join(page, page.c.certificate_id == Certificate.id)
            .order_by(page.c.position))


# From this many rows on, the whole list's pager uses PostgreSQL's estimate of the table's
# size (kept by ANALYZE and autovacuum) instead of counting every row (30 ms at a million,
# on every page view).
ESTIMATE_FROM = 100_000


def whole_list_count(estimate_from: int = ESTIMATE_FROM):
    """A column for the number of all certificates: the estimate from `estimate_from` rows
    on, else counted (PostgreSQL evaluates only the CASE branch it takes)."""
    return literal_column(
        f"(SELECT CASE WHEN c.reltuples >= {int(estimate_from)} THEN c.reltuples::bigint "
        "ELSE (SELECT count(*) FROM certificate) END "
        "FROM pg_class c WHERE c.oid = 'certificate'::regclass)")
