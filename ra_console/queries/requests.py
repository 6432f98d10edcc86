"""Read-only queries on certificate requests: open and live states, what blocks a new
request for a mailbox, the choices in the request form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from ra_console.core.db import aware
from ra_console.models import Certificate, Mailbox, MailboxAddress, Person
from ra_console.pki.profiles import CertificateProfile

OPEN_STATES = ("pending_approval", "sent")


LIVE_STATES = ("requested", "pending_approval", "sent", "issued")


@dataclass
class Blocker:
    """Why no new request may be made for a mailbox now, and the certificate that blocks it.

    reason: "unsent_request" (a request not sent yet), "open_request" (with the CA or
    waiting for approval), "valid_certificate" (valid beyond the renewal window)."""

    reason: str
    certificate: Certificate

    @property
    def since(self) -> datetime:
        return aware(self.certificate.created_at)

    @property
    def valid_until(self) -> datetime | None:
        return aware(self.certificate.not_after) if self.certificate.not_after else None

    def params(self) -> dict:
        """What a message about this blocker names: since when, until when, which one."""
        return {"since": self.since, "valid_until": self.valid_until,
                "certificate": self.certificate.public_id}


@dataclass
class AddressChoice:
    """One mailbox in the request form: its addresses and whether it is requestable."""

    mailbox: Mailbox
    primary: MailboxAddress
    aliases: list[MailboxAddress]
    profile: CertificateProfile
    blocker: Blocker | None = None
    # a certificate still valid inside the renewal window: a new one makes two valid ones
    renews: Certificate | None = None

    @property
    def requestable(self) -> bool:
        return self.blocker is None

    @property
    def blocked_by(self) -> str | None:
        return self.blocker.reason if self.blocker else None

    @property
    def valid_until(self) -> datetime | None:
        return self.blocker.valid_until if self.blocker else None


def profile_for(runtime, mailbox: Mailbox) -> CertificateProfile:
    key = "pki.functional_profile" if mailbox.kind == "functional" else "pki.personal_profile"
    return runtime.profiles[runtime.config[key]]


def _live(session: Session, mailbox: Mailbox) -> list[Certificate]:
    return list(session.exec(select(Certificate).where(
        Certificate.mailbox_id == mailbox.id, Certificate.status.in_(LIVE_STATES))
        .order_by(Certificate.created_at)).all())


def blocker_of(session: Session, mailbox: Mailbox, profile: CertificateProfile, now: datetime,
               *, sending: bool = False) -> Blocker | None:
    """Why no new certificate may be requested for this mailbox now (DESIGN §6), if at all:
    one open request per address, and none while a certificate is valid beyond the renewal
    window. `sending`: a draft being sent; other drafts do not block it (the first one sent
    does, from then on)."""
    return _blocker(_live(session, mailbox), profile, now, drafts_block=not sending)


def _blocker(rows: list[Certificate], profile: CertificateProfile, now: datetime,
             drafts_block: bool = True) -> Blocker | None:
    horizon = now + timedelta(days=profile.renewal_window_days)
    for cert in rows:
        if cert.status in OPEN_STATES:
            return Blocker("open_request", cert)
    for cert in rows:
        if drafts_block and cert.status == "requested":
            return Blocker("unsent_request", cert)
    for cert in rows:
        if cert.status == "issued" and aware(cert.not_after) > horizon:
            return Blocker("valid_certificate", cert)
    return None


def blocking_reason(session: Session, mailbox: Mailbox, profile: CertificateProfile,
                    now: datetime, *, sending: bool = False
                    ) -> tuple[str | None, datetime | None]:
    """(reason, valid until) of blocker_of(), for callers that need only the code."""
    found = blocker_of(session, mailbox, profile, now, sending=sending)
    return (found.reason, found.valid_until) if found else (None, None)


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
        live = _live(session, mailbox)
        renews = next((c for c in live if c.status == "issued" and c.not_after
                       and aware(c.not_after) > now), None)
        choices.append(AddressChoice(mailbox, primary, [a for a in addresses if not a.is_primary],
                                     profile, _blocker(live, profile, now), renews))
    return choices


def own_mailbox(session: Session, person: Person, public_id: str) -> Mailbox | None:
    """One of the person's mailboxes, in whatever state (None for anybody else's)."""
    return session.exec(select(Mailbox).where(Mailbox.public_id == public_id,
                                              Mailbox.owner_id == person.id)).first()


def has_status(person: Person, runtime) -> bool:
    """Employee/student status from the IdM, or a recorded identity check (legal name);
    never for a person the IdM marked inactive (left, or removed by SCIM)."""
    if person.idm_active is False:
        return False
    status = set(runtime.config["auth.status_affiliations"])
    return bool(status & set(person.affiliations.split())) or bool(person.legal_surname)
