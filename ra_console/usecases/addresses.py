"""Institute addresses: rows added by network contacts, their aliases, challenges, redeeming."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from ra_console.adapters.challenges import hash_token
from ra_console.core.db import aware
from ra_console.models import Challenge, Institute, InstituteDomain, Mailbox, MailboxAddress, Person
from ra_console.pki.input_rules import (
    address_problem,
    free_text_problem,
    name_problem,
    refuse,
    username_problem,
)
from ra_console.queries.addresses import addresses_of
from ra_console.workflow import audit
from ra_console.workflow.actor import Actor
from ra_console.workflow.engine import create, fire

KINDS = ("personal", "functional")


class AddressError(Exception):
    """A row cannot be saved or a challenge not redeemed; `code` + `params` become a message."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code, self.params = code, params


@dataclass(frozen=True)
class MailboxInput:
    """What a network contact enters (form or CSV row)."""

    primary: str
    aliases: tuple[str, ...] = ()
    kind: str = "personal"
    username: str = ""
    display_name: str = ""
    applicant: str = ""
    comment: str = ""


def normalize(address: str) -> str:
    return address.strip().lower()


def check_address(address: str) -> str:
    address = address.strip()
    refuse(AddressError, address_problem(address))
    return address


def check_username(username: str) -> str:
    """A user name as the IdM issues it (pki/input_rules.py), stripped."""
    username = username.strip()
    refuse(AddressError, username_problem(username))
    return username


def institute_domains(session: Session, institute_id: int) -> list[str]:
    return list(session.exec(select(InstituteDomain.domain).where(
        InstituteDomain.institute_id == institute_id)).all())


def validate(session: Session, institute: Institute, data: MailboxInput, *, max_aliases: int,
             mailbox: Mailbox | None = None) -> list[str]:
    """Check a row; return its addresses as given (primary first)."""
    addresses = _validate_addresses(session, institute, data, max_aliases=max_aliases,
                                    mailbox=mailbox)
    _validate_texts(data)
    return addresses


def _validate_texts(data: MailboxInput) -> None:
    """Who the row is for and what it says: user names, display name, comment."""
    if data.kind == "personal" and not data.username.strip():
        raise AddressError("username_missing")
    if data.kind == "functional" and not data.applicant.strip():
        raise AddressError("applicant_missing")
    if data.kind == "functional" and not data.display_name.strip():
        raise AddressError("display_name_missing")
    for username in (data.username, data.applicant):
        if username.strip():
            check_username(username)
    _check_name_and_comment(data.display_name.strip(), data.comment.strip())


def _check_name_and_comment(display_name: str, comment: str) -> None:
    refuse(AddressError, name_problem(display_name), field="display_name")
    refuse(AddressError, free_text_problem(comment), field="comment")


def set_name_and_comment(mailbox: Mailbox, display_name: str, comment: str) -> None:
    """Edit a row's display name and comment; a new name needs approval again."""
    display_name, comment = display_name.strip(), comment.strip()
    _check_name_and_comment(display_name, comment)
    if display_name != mailbox.display_name:
        mailbox.display_name = display_name
        mailbox.name_approved_by = mailbox.name_approved_at = None
    mailbox.comment = comment


def _validate_addresses(session: Session, institute: Institute, data: MailboxInput, *,
                        max_aliases: int, mailbox: Mailbox | None = None) -> list[str]:
    """The row's addresses: valid, few enough, in the institute's domains, not taken."""
    if data.kind not in KINDS:
        raise AddressError("bad_kind", kind=data.kind)
    addresses = [check_address(data.primary)] + [check_address(a) for a in data.aliases if a]
    if len(addresses) - 1 > max_aliases:
        raise AddressError("too_many_aliases", max=max_aliases)
    lowered = [normalize(a) for a in addresses]
    if len(set(lowered)) != len(lowered):
        raise AddressError("duplicate_in_row")
    domains = {d.lower() for d in institute_domains(session, institute.id)}
    for address in lowered:
        if address.rsplit("@", 1)[1] not in domains:
            raise AddressError("foreign_domain", address=address,
                               domains=", ".join(sorted(domains)))
        taken = session.exec(select(MailboxAddress).where(MailboxAddress.address == address)
                             ).first()
        if taken is not None and (mailbox is None or taken.mailbox_id != mailbox.id):
            raise AddressError("address_taken", address=address)
    return addresses


def person_for(session: Session, username: str) -> Person:
    """The person with this username; created as a stub until their first sign-in."""
    username = check_username(username)
    person = session.exec(select(Person).where(Person.username == username)).first()
    if person is None:
        person = Person(username=username)
        session.add(person)
        session.flush()
    return person


def add_mailbox(session: Session, actor: Actor, institute: Institute, data: MailboxInput, *,
                max_aliases: int) -> Mailbox:
    addresses = validate(session, institute, data, max_aliases=max_aliases)
    owner = person_for(session, data.username if data.kind == "personal" else data.applicant)
    applicant = person_for(session, data.applicant) if data.kind == "functional" else None
    mailbox = Mailbox(institute_id=institute.id, kind=data.kind, source="institute",
                      display_name=data.display_name.strip(), owner_id=owner.id,
                      applicant_id=applicant.id if applicant else None,
                      comment=data.comment.strip()[:500])
    create(session, mailbox, actor, data={"address": normalize(addresses[0])})
    for i, address in enumerate(addresses):
        session.add(MailboxAddress(mailbox_id=mailbox.id, address=normalize(address),
                                   display=address, is_primary=i == 0))
    session.flush()
    return mailbox


def set_aliases(session: Session, actor: Actor, institute: Institute, mailbox: Mailbox,
                aliases: tuple[str, ...], *, max_aliases: int) -> bool:
    """Replace the aliases; returns True when something changed. Pending challenges die and
    a confirmed row must be confirmed again (its new alias is unconfirmed)."""
    current = addresses_of(session, mailbox)
    primary = next(a for a in current if a.is_primary)
    data = MailboxInput(primary=primary.display, aliases=aliases, kind=mailbox.kind)
    wanted = _validate_addresses(session, session.get(Institute, mailbox.institute_id), data,
                                 max_aliases=max_aliases, mailbox=mailbox)[1:]
    old = {a.address: a for a in current if not a.is_primary}
    new = {normalize(a): a for a in wanted}
    if set(old) == set(new):
        return False
    for address, row in old.items():
        if address not in new:
            session.delete(row)
    for address, given in new.items():
        if address not in old:
            session.add(MailboxAddress(mailbox_id=mailbox.id, address=address, display=given))
    session.flush()
    if mailbox.status in ("pending_challenge", "verified"):
        fire(session, mailbox, "change_addresses", actor, aliases=", ".join(sorted(new)))
    return True


def redeem(session: Session, actor: Actor, token: str, now: datetime) -> MailboxAddress:
    """Confirm one address; the row becomes verified when its last address is confirmed.
    Raises AddressError (unknown, used, superseded, expired, wrong_person); nothing changes
    then."""
    challenge = session.exec(select(Challenge).where(
        Challenge.token_hash == hash_token(token.strip()))).first() if token else None
    if challenge is None:
        raise AddressError("token_unknown")
    if challenge.redeemed_at is not None:
        raise AddressError("token_used")
    if challenge.superseded_at is not None or challenge.address_id is None:  # alias removed
        raise AddressError("token_superseded")
    if aware(challenge.expires_at) <= now:
        raise AddressError("token_expired")
    if challenge.person_id != actor.person_id:
        raise AddressError("token_wrong_person")
    address = session.get(MailboxAddress, challenge.address_id)
    mailbox = session.get(Mailbox, address.mailbox_id)
    if mailbox.status != "pending_challenge":
        raise AddressError("token_superseded")
    challenge.redeemed_at = now
    address.verified_at, address.method = now, "challenge"
    session.flush()
    audit.append_event(session, entity_type="mailbox", entity_id=mailbox.public_id,
                       trigger="confirm_address", actor=actor.username, role="user",
                       ip=actor.ip, data={"address": address.address})
    if all(a.verified_at is not None for a in addresses_of(session, mailbox)):
        fire(session, mailbox, "redeem", actor)
    return address


def approve_display_name(session: Session, actor: Actor, mailbox: Mailbox, now: datetime) -> None:
    """An RA admin approves a functional mailbox's display name (it becomes the CN); never
    the owner. The first challenge can be sent afterwards."""
    if mailbox.kind != "functional" or mailbox.name_approved_at is not None:
        raise AddressError("name_not_awaiting_approval")
    if mailbox.owner_id == actor.person_id:
        raise AddressError("own_name_approval")
    mailbox.name_approved_by, mailbox.name_approved_at = actor.username, now
    audit.append_event(session, entity_type="mailbox", entity_id=mailbox.public_id,
                       trigger="approve_name", actor=actor.username, role="ra_admin",
                       ip=actor.ip, data={"display_name": mailbox.display_name})


def send_challenge(session: Session, mailbox: Mailbox, actor: Actor) -> None:
    """Send (or send again) the challenge e-mails of a row's unconfirmed addresses."""
    fire(session, mailbox, "send_challenge", actor)
