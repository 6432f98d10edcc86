"""Read-only queries on mailboxes and their addresses."""

from __future__ import annotations

from sqlmodel import Session, select

from ra_console.models import Mailbox, MailboxAddress, Person, RoleAssignment


def addresses_of(session: Session, mailbox: Mailbox) -> list[MailboxAddress]:
    return list(session.exec(select(MailboxAddress).where(
        MailboxAddress.mailbox_id == mailbox.id).order_by(MailboxAddress.id)).all())


def _idm_addresses(session: Session, person_id: int) -> list[str]:
    return list(session.exec(select(MailboxAddress.address).join(
        Mailbox, Mailbox.id == MailboxAddress.mailbox_id).where(
        Mailbox.owner_id == person_id, Mailbox.source == "idm",
        Mailbox.status == "verified")).all())


def deactivation_recipients(session: Session, mailbox: Mailbox) -> list[tuple[str, str | None]]:
    """(address, language) for the person (IdM addresses, else the row's primary) and for
    every network contact of the row's institute."""
    owner = session.get(Person, mailbox.owner_id)
    found = [(a, owner.locale) for a in _idm_addresses(session, owner.id)]
    if not found:
        primary = next(a for a in addresses_of(session, mailbox) if a.is_primary)
        found = [(primary.address, owner.locale)]
    if mailbox.institute_id is not None:
        contacts = session.exec(select(Person).join(
            RoleAssignment, RoleAssignment.person_id == Person.id).where(
            RoleAssignment.role == "network_contact",
            RoleAssignment.institute_id == mailbox.institute_id)).all()
        for contact in contacts:
            found += [(a, contact.locale) for a in _idm_addresses(session, contact.id)]
    seen, unique = set(), []
    for address, lang in found:
        if address not in seen:
            seen.add(address)
            unique.append((address, lang if lang in ("de", "en") else None))
    return unique
