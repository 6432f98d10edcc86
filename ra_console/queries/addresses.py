"""Read-only queries on mailboxes and their addresses."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from ra_console.models import (
    Challenge,
    Institute,
    Mailbox,
    MailboxAddress,
    Person,
    RoleAssignment,
)


def addresses_of(session: Session, mailbox: Mailbox) -> list[MailboxAddress]:
    return list(session.exec(select(MailboxAddress).where(
        MailboxAddress.mailbox_id == mailbox.id).order_by(MailboxAddress.id)).all())


def _idm_addresses(session: Session, person_id: int) -> list[str]:
    return list(session.exec(select(MailboxAddress.address).join(
        Mailbox, Mailbox.id == MailboxAddress.mailbox_id).where(
        Mailbox.owner_id == person_id, Mailbox.source == "idm",
        Mailbox.status == "verified")).all())


def idm_addresses(session: Session, person_id: int) -> list[str]:
    """The person's confirmed addresses from the IdM: where mail about their work goes."""
    return sorted(_idm_addresses(session, person_id))


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


@dataclass(frozen=True)
class InstituteContacts:
    """An institute and its network contacts (name, address): who adds its addresses."""

    institute: Institute
    contacts: tuple[tuple[str, str], ...]
    own: bool  # the person already has an address of this institute


def network_contacts(session: Session, person_id: int) -> list[InstituteContacts]:
    """Every institute with its network contacts, the person's own institutes first."""
    own = set(session.exec(select(Mailbox.institute_id).where(
        Mailbox.owner_id == person_id, Mailbox.institute_id.is_not(None))).all())
    rows = session.exec(select(Institute, Person).join(
        RoleAssignment, RoleAssignment.institute_id == Institute.id).join(
        Person, Person.id == RoleAssignment.person_id).where(
        RoleAssignment.role == "network_contact").order_by(Institute.code, Person.surname)).all()
    found: dict[int, InstituteContacts] = {}
    for institute, contact in rows:
        address = next(iter(_idm_addresses(session, contact.id)), "")
        entry = found.get(institute.id) or InstituteContacts(institute, (), institute.id in own)
        found[institute.id] = InstituteContacts(
            institute, (*entry.contacts, (contact.display_name, address)), entry.own)
    return sorted(found.values(), key=lambda e: not e.own)


@dataclass(frozen=True)
class ChallengeTarget:
    """What a challenge link confirms: the address, its institute and for whom."""

    address: MailboxAddress
    institute: Institute | None
    person_id: int


def challenge_target(session: Session, token_hash: str) -> ChallengeTarget | None:
    from_challenge = session.exec(select(Challenge, MailboxAddress, Mailbox).join(
        MailboxAddress, MailboxAddress.id == Challenge.address_id).join(
        Mailbox, Mailbox.id == MailboxAddress.mailbox_id).where(
        Challenge.token_hash == token_hash)).first()
    if from_challenge is None:
        return None
    challenge, address, mailbox = from_challenge
    institute = session.get(Institute, mailbox.institute_id) if mailbox.institute_id else None
    return ChallengeTarget(address, institute, challenge.person_id)
