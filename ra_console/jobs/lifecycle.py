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
from datetime import datetime, timedelta, timezone

from sqlmodel import select

from ..models import Certificate, Mailbox, OutboxMessage, Person
from ..services import certificates as certs
from ..services.outbox import enqueue
from ..services.requests import has_status
from ..workflow.actor import SYSTEM
from ..workflow.engine import WorkflowError

log = logging.getLogger(__name__)
OPEN = ("pending_approval", "sent")


def _utc(moment: datetime) -> datetime:
    """SQLite gives naive datetimes back; they are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _renewed(session, cert: Certificate) -> bool:
    """A newer request or certificate for the same mailbox makes reminders pointless."""
    newer = session.exec(select(Certificate).where(
        Certificate.mailbox_id == cert.mailbox_id, Certificate.id != cert.id,
        Certificate.status.in_(OPEN + ("issued",)))).all()
    return any(c.status in OPEN or (c.not_after and _utc(c.not_after) > _utc(cert.not_after))
               for c in newer)


def send_expiry_reminders(runtime) -> int:
    days = sorted(set(runtime.config["lifecycle.reminder_days"]))
    if not days:
        return 0
    now = runtime.now()
    sent = 0
    with runtime.session() as session:
        rows = session.exec(select(Certificate).where(
            Certificate.status == "issued", Certificate.not_after > now,
            Certificate.not_after <= now + timedelta(days=days[-1]))).all()
        for cert in rows:
            left = _utc(cert.not_after) - now
            due = min(d for d in days if left <= timedelta(days=d))
            if _renewed(session, cert):
                continue
            mailbox = session.get(Mailbox, cert.mailbox_id)
            key = f"mail:expiry_reminder:{cert.public_id}:{due}"
            if session.exec(select(OutboxMessage.id).where(
                    OutboxMessage.dedupe_key == key)).first() is not None:
                continue  # this reminder went out (or is on its way) already
            enqueue(session, "mail", {
                "template": "expiry_reminder", "certificate": cert.public_id,
                "mailbox": mailbox.public_id, "days": due}, key)
            sent += 1
        session.commit()
    return sent


def entitlement_lost(mailbox: Mailbox | None, person: Person, runtime
                     ) -> tuple[str, str] | None:
    """(why, RFC 5280 reason) when the holder may no longer use the certificate."""
    if mailbox is None or mailbox.status == "deactivated":
        return "address_deactivated", "cessationOfOperation"
    if mailbox.kind == "personal" and not has_status(person, runtime):
        return "status_lost", "affiliationChanged"
    return None


def _notify(session, cert: Certificate, why: str, reason: str, revoke_on) -> None:
    from ..services.addresses import deactivation_recipients

    mailbox = session.get(Mailbox, cert.mailbox_id)
    for address, lang in deactivation_recipients(session, mailbox):
        enqueue(session, "mail.offboarding", {
            "certificate": cert.public_id, "to": address, "lang": lang, "why": why,
            "reason": reason, "revoke_on": revoke_on.strftime("%Y-%m-%d %H:%M UTC")},
            f"mail.offboarding:{cert.public_id}:{revoke_on:%Y%m%d%H%M}:{address}")


def offboard_certificates(runtime) -> int:
    """Schedule, cancel or carry out offboarding revocations; returns revocations done.
    One query finds what changed; only those rows are touched, each in its own
    transaction."""
    grace = timedelta(days=runtime.config["lifecycle.offboarding_grace_days"])
    now = runtime.now()
    with runtime.session() as session:
        rows = session.exec(select(Certificate, Mailbox, Person)
                            .join(Mailbox, Mailbox.id == Certificate.mailbox_id)
                            .join(Person, Person.id == Certificate.person_id)
                            .where(Certificate.status == "issued")).all()
        work = []
        for cert, mailbox, person in rows:
            lost = entitlement_lost(mailbox, person, runtime)
            scheduled = cert.offboard_at is not None
            due = scheduled and _utc(cert.offboard_at) <= now
            if (lost is None) == scheduled or (lost is not None and due):
                work.append((cert.id, lost))  # call off, schedule, or revoke
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
