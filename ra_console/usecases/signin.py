"""Turn sign-in attributes into a person, their IdM mailboxes and an audit event."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, select

from ra_console.adapters.outbox import enqueue
from ra_console.adapters.settings import removal_breaker
from ra_console.core.db import insert_unless_present, lock_row
from ra_console.models import Institute, Mailbox, MailboxAddress, Person, RoleAssignment
from ra_console.pki.input_rules import printable
from ra_console.workflow import audit
from ra_console.workflow.actor import SYSTEM
from ra_console.workflow.engine import create, fire

IDM_NAME_MAX = 200  # the column's length


@dataclass(frozen=True)
class SignInIdentity:
    """What the identity provider tells us about the person signing in."""

    username: str
    given_name: str = ""
    surname: str = ""
    emails: tuple[str, ...] = ()
    affiliations: tuple[str, ...] = field(default_factory=tuple)
    groups: tuple[str, ...] = field(default_factory=tuple)


# sign-in attribute (auth.required_attributes) -> the SignInIdentity field holding it
ATTRIBUTE_FIELDS = {"email": "emails", "given_name": "given_name", "surname": "surname",
                    "affiliation": "affiliations"}


class SignInRefused(Exception):
    """The identity provider sent a sign-in without attributes the RA needs. Nothing about
    the person may change: a missing attribute is a release mistake, not a lost address."""

    def __init__(self, username: str, missing: list[str]):
        super().__init__(f"sign-in of {username!r} lacks {', '.join(missing)}")
        self.username, self.missing = username, missing


def missing_attributes(identity: SignInIdentity, required: list[str]) -> list[str]:
    return [name for name in required if not getattr(identity, ATTRIBUTE_FIELDS[name])]


def record_refused_sign_in(session: Session, refused: SignInRefused, *, ip: str | None,
                           now) -> None:
    """Audit the refused sign-in and alert the RA admins through the outbox: one mail per
    set of missing attributes and hour, however many people the IdP mistake hits."""
    missing = ", ".join(refused.missing)
    audit.append_event(session, entity_type="person", entity_id="-", trigger="login_failed",
                       actor=refused.username[:200], role="anonymous", ip=ip,
                       data={"reason": "missing_attributes", "missing": refused.missing})
    enqueue(session, "mail.admin_alert", {
        "template": "sign_in_refused", "path": "/console/",
        "context": {"username": refused.username[:200], "missing": missing,
                    "at": now.strftime("%Y-%m-%d %H:%M UTC")}},
        f"mail.admin_alert:sign_in_refused:{missing}:{now:%Y%m%d%H}")


def _idm_addresses(identity: SignInIdentity, idm_domains: list[str]) -> dict[str, str]:
    """Lower-cased address -> address as given, for addresses in the IdM domains."""
    found = {}
    for email in identity.emails:
        email = email.strip()
        if "@" in email and email.rsplit("@", 1)[1].lower() in idm_domains:
            found[email.lower()] = email
    return found


def sign_in(session: Session, identity: SignInIdentity, *, idm_domains: list[str],
            ip: str | None, now, role_map: list[str] | None = None,
            required: list[str] = ()) -> Person:
    """Create or update the person, sync their IdM mailboxes and SSO roles, record the
    login. SignInRefused, before anything changed, when a `required` attribute is
    missing."""
    missing = missing_attributes(identity, list(required))
    if missing:
        raise SignInRefused(identity.username, missing)
    person = upsert_person(session, identity, idm_domains=idm_domains, now=now)
    person.last_login_at = now
    if role_map is not None:
        sync_sso_roles(session, person, identity.groups, role_map)
    audit.append_event(session, entity_type="person", entity_id=person.public_id,
                       trigger="login", actor=person.username, role="user", ip=ip)
    return person


def upsert_person(session: Session, identity: SignInIdentity, *, idm_domains: list[str],
                  now) -> Person:
    """The person with the IdM's current attributes and IdM mailboxes."""
    by_name = select(Person).where(Person.username == identity.username)
    person = session.exec(by_name).first()
    if person is None:
        insert_unless_present(session, Person, Person(username=identity.username).model_dump(
            exclude={"id"}), "username")
        person = session.exec(by_name).one()
    # two sign-ins of one person at once (two servers, a double click): one after the
    # other, so the second sees the first's mailboxes instead of adding them again
    lock_row(session, person)
    # the IdM's names, as far as a certificate and the database can hold them (no NUL)
    person.given_name = printable(identity.given_name, IDM_NAME_MAX)
    person.surname = printable(identity.surname, IDM_NAME_MAX)
    person.affiliations = " ".join(sorted(set(identity.affiliations)))
    session.flush()
    _sync_idm_mailboxes(session, person, _idm_addresses(identity, idm_domains), now)
    return person


def sync_sso_roles(session: Session, person: Person, groups: tuple[str, ...],
                   role_map: list[str]) -> None:
    """Grant the roles the sign-in attributes map to; take back SSO roles no longer mapped."""
    institutes = {i.code: i.id for i in session.exec(select(Institute)).all()}
    wanted: set[tuple[str, int | None]] = set()
    for entry in role_map:
        value, _, target = entry.rpartition("=")
        role, _, code = target.partition(":")
        if value in groups and (not code or code in institutes):
            wanted.add((role, institutes.get(code) if code else None))
    current = {(a.role, a.institute_id): a for a in session.exec(select(RoleAssignment).where(
        RoleAssignment.person_id == person.id, RoleAssignment.source == "sso")).all()}
    manual = {(a.role, a.institute_id) for a in session.exec(select(RoleAssignment).where(
        RoleAssignment.person_id == person.id, RoleAssignment.source != "sso")).all()}
    for key in wanted - set(current) - manual:
        session.add(RoleAssignment(person_id=person.id, role=key[0], institute_id=key[1],
                                   source="sso"))
        _audit_role(session, person, "role_granted", key)
    for key in set(current) - wanted:
        session.delete(current[key])
        _audit_role(session, person, "role_revoked", key)
    session.flush()


def _audit_role(session: Session, person: Person, trigger: str, key) -> None:
    audit.append_event(session, entity_type="role", entity_id=person.public_id,
                       trigger=trigger, actor="sso", role="system",
                       data={"role": key[0], "institute_id": key[1], "source": "sso"})


def _sync_idm_mailboxes(session: Session, person: Person, addresses: dict[str, str],
                        now) -> None:
    rows = session.exec(
        select(Mailbox, MailboxAddress)
        .join(MailboxAddress, MailboxAddress.mailbox_id == Mailbox.id)
        .where(Mailbox.owner_id == person.id, Mailbox.source == "idm")
    ).all()
    known = {address.address: mailbox for mailbox, address in rows}
    for lowered, given in addresses.items():
        mailbox = known.get(lowered)
        if mailbox is None:
            _create_idm_mailbox(session, person, lowered, given, now)
        elif mailbox.status == "deactivated":
            fire(session, mailbox, "reactivate", SYSTEM)
    gone = [mailbox for lowered, mailbox in known.items()
            if lowered not in addresses and mailbox.status == "verified"]
    if gone and removal_breaker(session).tripped:
        return  # removals wait for an RA admin (usecases/breaker.py)
    for mailbox in gone:
        fire(session, mailbox, "deactivate", SYSTEM, reason="no longer in IdM")


def _create_idm_mailbox(session: Session, person: Person, lowered: str, given: str,
                        now) -> None:
    taken = session.exec(select(MailboxAddress).where(MailboxAddress.address == lowered)).first()
    if taken is not None:  # the address belongs to another row; the IdM cannot override it
        return
    mailbox = Mailbox(owner_id=person.id, source="idm", kind="personal",
                      display_name=f"{person.given_name} {person.surname}".strip())
    create(session, mailbox, SYSTEM, state="verified", data={"address": lowered})
    session.add(MailboxAddress(mailbox_id=mailbox.id, address=lowered, display=given,
                               is_primary=True, verified_at=now, method="idm"))
    session.flush()
