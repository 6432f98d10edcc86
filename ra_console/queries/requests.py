"""Read-only queries on certificate requests: open and live states, what blocks a new
request for a mailbox, the choices in the request form."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlmodel import Session, select

from ra_console.models import Certificate, Mailbox, MailboxAddress, Person
from ra_console.pki.profiles import CertificateProfile

OPEN_STATES = ("pending_approval", "sent")


LIVE_STATES = ("requested", "pending_approval", "sent", "issued")


@dataclass
class AddressChoice:
    """One mailbox in the request form: its addresses and whether it is requestable."""

    mailbox: Mailbox
    primary: MailboxAddress
    aliases: list[MailboxAddress]
    profile: CertificateProfile
    blocked_by: str | None = None  # "open_request" | "valid_certificate"
    valid_until: datetime | None = field(default=None)

    @property
    def requestable(self) -> bool:
        return self.blocked_by is None


def profile_for(runtime, mailbox: Mailbox) -> CertificateProfile:
    key = "pki.functional_profile" if mailbox.kind == "functional" else "pki.personal_profile"
    return runtime.profiles[runtime.config[key]]


def blocking_reason(session: Session, mailbox: Mailbox, profile: CertificateProfile,
                    now: datetime) -> tuple[str | None, datetime | None]:
    """Why no new certificate may be requested for this mailbox now (DESIGN §6), if at all."""
    rows = session.exec(select(Certificate).where(
        Certificate.mailbox_id == mailbox.id, Certificate.status.in_([*OPEN_STATES, "issued"])
    )).all()
    horizon = now + timedelta(days=profile.renewal_window_days)
    for cert in rows:
        if cert.status in OPEN_STATES:
            return "open_request", None
    for cert in rows:
        if _aware(cert.not_after) > horizon:
            return "valid_certificate", _aware(cert.not_after)
    return None, None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def address_choices(session: Session, runtime, person: Person, now: datetime
                    ) -> list[AddressChoice]:
    mailboxes = session.exec(select(Mailbox).where(
        Mailbox.owner_id == person.id, Mailbox.status == "verified").order_by(Mailbox.id)).all()
    choices = []
    for mailbox in mailboxes:
        addresses = session.exec(select(MailboxAddress).where(
            MailboxAddress.mailbox_id == mailbox.id).order_by(MailboxAddress.id)).all()
        primary = next((a for a in addresses if a.is_primary), None)
        if primary is None:
            continue
        profile = profile_for(runtime, mailbox)
        reason, until = blocking_reason(session, mailbox, profile, now)
        choices.append(AddressChoice(mailbox, primary, [a for a in addresses if not a.is_primary],
                                     profile, reason, until))
    return choices


def has_status(person: Person, runtime) -> bool:
    """Employee/student status from the IdM, or a recorded identity check (legal name)."""
    status = set(runtime.config["auth.status_affiliations"])
    return bool(status & set(person.affiliations.split())) or bool(person.legal_surname)
