"""Lifecycle sweeps: expiry reminders and offboarding (each an idempotent sweep).

Reminders: on each of `lifecycle.reminder_days` (28/14/7) before notAfter the owner gets
one mail with a renewal link that preselects the address; the outbox dedupe key
(`mail:expiry_reminder:<certificate>:<days>`) makes each reminder go out once. No reminder
once a newer request or certificate for the same address exists.

Offboarding (S/MIME BR §4.9.1.1: revoke within 5 days when the use of the address is no
longer permitted): an issued certificate whose address was deactivated (reason
cessationOfOperation) or whose holder lost the status that entitled them (IdM affiliation
or identity check; reason affiliationChanged) gets a revocation date `grace` days ahead;
the person and the network contacts are told; on that date it is revoked by the system.
If the entitlement comes back before, the date is cleared.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import String, and_, case, cast, distinct, exists, func, literal, or_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased
from sqlmodel import select

from ra_console.adapters.outbox import enqueue
from ra_console.core.db import aware, is_sqlite, session_now
from ra_console.models import Certificate, Mailbox, OutboxMessage, Person
from ra_console.queries.addresses import deactivation_recipients
from ra_console.queries.requests import has_status
from ra_console.usecases import certificates as certs
from ra_console.usecases.breaker import removals_allowed
from ra_console.workflow.actor import SYSTEM
from ra_console.workflow.state import WorkflowError

log = logging.getLogger(__name__)
OPEN = ("pending_approval", "sent")


def reminders_due(now: datetime, days: list[int]):
    """The query of due reminders: (certificate id, mailbox id, days, dedupe key) of each
    issued certificate within the largest window that was not renewed and not reminded
    for this step yet."""
    newer = aliased(Certificate)
    due = case(*((Certificate.not_after <= now + timedelta(days=d), d) for d in days[:-1]),
               else_=days[-1]) if len(days) > 1 else literal(days[0])
    key = literal("mail:expiry_reminder:") + Certificate.public_id + ":" + cast(due, String)
    renewed = exists().where(
        newer.mailbox_id == Certificate.mailbox_id, newer.id != Certificate.id,
        or_(newer.status.in_(OPEN),
            and_(newer.status == "issued", newer.not_after > Certificate.not_after)))
    sent_before = exists().where(OutboxMessage.dedupe_key == key)
    return (select(Certificate.public_id, Mailbox.public_id, due, key)
            .join(Mailbox, Mailbox.id == Certificate.mailbox_id)
            .where(Certificate.status == "issued", Certificate.not_after > now,
                   Certificate.not_after <= now + timedelta(days=days[-1]),
                   ~renewed, ~sent_before))


def send_expiry_reminders(runtime) -> int:
    """Find the due reminders with one query and enqueue them with one INSERT; returns
    how many were enqueued."""
    days = sorted(set(runtime.config["lifecycle.reminder_days"]))
    if not days:
        return 0
    query = reminders_due(runtime.now(), days)
    with runtime.session() as session:
        rows = session.execute(query).all()
        if rows:
            stamp = session_now(session)
            values = [{"kind": "mail", "dedupe_key": dedupe_key, "state": "pending",
                       "attempts": 0, "next_attempt_at": stamp, "created_at": stamp,
                       "payload": {"template": "expiry_reminder", "certificate": cert_id,
                                   "mailbox": mailbox_id, "days": int(days_left)}}
                      for cert_id, mailbox_id, days_left, dedupe_key in rows]
            insert = sqlite_insert if is_sqlite(session) else pg_insert
            session.execute(insert(OutboxMessage).on_conflict_do_nothing(
                index_elements=["dedupe_key"]), values)
        session.commit()
    return len(rows)


def entitlement_lost(mailbox: Mailbox | None, person: Person, runtime
                     ) -> tuple[str, str] | None:
    """(why, RFC 5280 reason) when the holder may no longer use the certificate."""
    if mailbox is None or mailbox.status == "deactivated":
        return "address_deactivated", "cessationOfOperation"
    if mailbox.kind == "personal" and not has_status(person, runtime):
        return "status_lost", "affiliationChanged"
    return None


def _notify(session, cert: Certificate, why: str, reason: str, revoke_on) -> None:
    mailbox = session.get(Mailbox, cert.mailbox_id)
    for address, lang in deactivation_recipients(session, mailbox):
        enqueue(session, "mail.offboarding", {
            "certificate": cert.public_id, "to": address, "lang": lang, "why": why,
            "reason": reason, "revoke_on": revoke_on.strftime("%Y-%m-%d %H:%M UTC")},
            f"mail.offboarding:{cert.public_id}:{revoke_on:%Y%m%d%H%M}:{address}")


def _maybe_lost(runtime):
    """SQL for "entitlement_lost may say so": the address deactivated, or a personal
    mailbox whose holder has neither a status affiliation (a word of the space-separated
    list) nor a recorded identity check, or who is inactive in the IdM. Python decides for
    the rows it finds."""
    padded = literal(" ") + Person.affiliations + literal(" ")
    has_status = or_(and_(Person.legal_surname.is_not(None), Person.legal_surname != ""),
                     *(padded.like(f"% {word} %")
                       for word in runtime.config["auth.status_affiliations"]))
    return or_(Mailbox.status == "deactivated",
               and_(Mailbox.kind == "personal", or_(~has_status, Person.idm_active.is_(False))))


def _counts(session, persons: set, addresses: set) -> dict[str, tuple[int, int]]:
    """For the circuit breaker: (newly affected, all with an issued certificate)."""
    if not persons:
        return {}
    issued = Certificate.status == "issued"
    all_persons = session.exec(select(func.count(distinct(Certificate.person_id)))
                               .where(issued)).one()
    all_addresses = session.exec(select(func.count(distinct(Certificate.mailbox_id)))
                                 .where(issued)).one()
    return {"persons": (len(persons), all_persons),
            "addresses": (len(addresses), all_addresses)}


def offboard_certificates(runtime) -> int:
    """Schedule, cancel or carry out offboarding revocations; returns revocations done.
    One query finds what may have changed; only those rows are touched, each in its own
    transaction."""
    grace = timedelta(days=runtime.config["lifecycle.offboarding_grace_days"])
    now = runtime.now()
    with runtime.session() as session:
        # Only rows that may need work come back (scheduled ones, and those whose holder
        # may have lost the entitlement): a few, not every issued certificate.
        rows = session.exec(select(Certificate, Mailbox, Person)
                            .join(Mailbox, Mailbox.id == Certificate.mailbox_id)
                            .join(Person, Person.id == Certificate.person_id)
                            .where(Certificate.status == "issued",
                                   or_(Certificate.offboard_at.is_not(None),
                                       _maybe_lost(runtime)))).all()
        work, new_persons, new_addresses = [], set(), set()
        for cert, mailbox, person in rows:
            lost = entitlement_lost(mailbox, person, runtime)
            scheduled = cert.offboard_at is not None
            due = scheduled and aware(cert.offboard_at) <= now
            if (lost is None) == scheduled or (lost is not None and due):
                work.append((cert.id, lost))  # call off, schedule, or revoke
            if lost is not None and not scheduled:
                new_persons.add(person.id)
                new_addresses.add(mailbox.id)
        if any(lost is not None for _, lost in work) and not removals_allowed(
                session, runtime.config, _counts(session, new_persons, new_addresses), now):
            log.warning("offboarding paused by the circuit breaker: an RA admin must confirm "
                        "in the console (Settings)")
            work = [(cert_id, lost) for cert_id, lost in work if lost is None]
        session.commit()
    revoked = 0
    for cert_id, lost in work:
        with runtime.session() as session:
            cert = session.get(Certificate, cert_id)
            if cert.status != "issued":
                continue
            if lost is None:  # entitled again: nothing to revoke
                cert.offboard_at = cert.offboard_reason = None
                session.commit()
                continue
            why, reason = lost
            if cert.offboard_at is None:
                cert.offboard_at, cert.offboard_reason = now + grace, reason
                _notify(session, cert, why, reason, now + grace)
                session.commit()
                continue
            try:
                certs.revoke(session, cert, SYSTEM, cert.offboard_reason or reason, now)
                session.commit()
                revoked += 1
            except WorkflowError as exc:  # changed meanwhile
                session.rollback()
                log.info("offboarding of %s skipped: %s", cert.public_id, exc)
    return revoked
