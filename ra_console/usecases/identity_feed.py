"""The one identity feed: a person's change from any source (sign-in, SCIM, LDAP sync,
console) applied the same way. Idempotent (a change that changes nothing writes nothing),
audited (`idm_changed`: which source, who, what changed), and it drives the mailbox
workflow through fire(): IdM mailboxes appear, are deactivated and reactivated. Losing
the status (affiliation, or inactive in the IdM) is what the offboarding sweep
(jobs/lifecycle.py) turns into scheduled revocations with the configured grace."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from sqlalchemy.orm import lazyload
from sqlmodel import Session, select

from ra_console.adapters.settings import removal_breaker
from ra_console.core.db import insert_unless_present, lock_row
from ra_console.models import Mailbox, MailboxAddress, Person
from ra_console.pki.input_rules import printable
from ra_console.workflow import audit
from ra_console.workflow.actor import SYSTEM
from ra_console.workflow.engine import create, fire

IDM_NAME_MAX = 200  # the columns' lengths
IDM_EMAILS_MAX = 2000


@dataclass(frozen=True)
class IdentityChange:
    """What a source says about a person; None: the source does not say (unchanged)."""

    username: str
    given_name: str | None = None
    surname: str | None = None
    emails: tuple[str, ...] | None = None
    affiliations: tuple[str, ...] | None = None
    active: bool | None = None  # None: unchanged, or with `clear_active`: not said
    clear_active: bool = False
    external_id: str | None = None
    removed: bool | None = None  # True: the IdM removed the person; False: provisioned


# required attribute (auth.required_attributes) -> the IdentityChange field holding it
ATTRIBUTE_FIELDS = {"email": "emails", "given_name": "given_name", "surname": "surname",
                    "affiliation": "affiliations"}
# the person's fields the feed owns, in the order the audit event lists them
FED_FIELDS = ("username", "external_id", "given_name", "surname", "affiliations",
              "idm_emails", "idm_active", "idm_removed_at")


class IdentityRefused(Exception):
    """A source sent a person without attributes the RA needs. Nothing about the person
    changes: a missing attribute is a release mistake, not a lost address."""

    def __init__(self, username: str, missing: list[str]):
        super().__init__(f"identity {username!r} lacks {', '.join(missing)}")
        self.username, self.missing = username, missing


def missing_attributes(change: IdentityChange, required: list[str]) -> list[str]:
    """The required attributes the change says are empty. A deactivation needs none."""
    if change.active is False:
        return []
    return [name for name in required
            if getattr(change, ATTRIBUTE_FIELDS[name]) is not None
            and not getattr(change, ATTRIBUTE_FIELDS[name])]


def apply_change(session: Session, change: IdentityChange, *, source: str, actor: str,
                 idm_domains: list[str], now, required: list[str] = (),
                 person: Person | None = None) -> Person:
    """Create or update the person (found by username unless given, e.g. when SCIM
    renames them) and their IdM mailboxes. IdentityRefused, before anything changed,
    when a `required` attribute is empty. The caller commits."""
    missing = missing_attributes(change, list(required))
    if missing:
        raise IdentityRefused(change.username, missing)
    by_name = select(Person).where(Person.username == change.username)
    if person is None:
        person = session.exec(by_name).first()
    created = person is None
    if created:  # two first sign-ins at once (two servers): one insert wins, both go on
        created = insert_unless_present(session, Person, Person(
            username=change.username).model_dump(exclude={"id"}), "username")
        person = session.exec(by_name).one()
    # two changes of one person at once: one after the other, so the second sees the
    # first's mailboxes instead of adding them again
    lock_row(session, person)
    before = {name: getattr(person, name) for name in FED_FIELDS}
    _copy(change, person, now)
    changed = {name: [_plain(before[name]), _plain(getattr(person, name))]
               for name in FED_FIELDS if getattr(person, name) != before[name]}
    if created or changed:
        person.idm_version = (person.idm_version or 0) + (0 if created else 1)
        person.idm_updated_at = now
    session.flush()
    if created or changed:
        audit.append_event(session, entity_type="person", entity_id=person.public_id,
                           trigger="idm_changed", actor=actor, role="system",
                           data={"source": source, "created": created, "changed": changed})
    # Mailboxes follow the addresses only when the source named them, or the person left
    # or came back: a source that says nothing about addresses must not deactivate them.
    if change.emails is not None or person.idm_active is False or "idm_active" in changed:
        emails = [] if person.idm_active is False else person.idm_emails.split()
        _sync_idm_mailboxes(session, person, _idm_addresses(emails, idm_domains), now)
    return person


def would_change(change: IdentityChange, current: dict, now) -> bool:
    """Whether apply_change would change a person whose fed fields (FED_FIELDS) are
    `current`: a bulk source (the LDAP full comparison) reads every person at once and
    applies only the changes that change something."""
    probe = SimpleNamespace(**current)
    _copy(change, probe, now)
    return any(getattr(probe, name) != current[name] for name in FED_FIELDS)


def remove(session: Session, person: Person, *, source: str, actor: str,
           idm_domains: list[str], now) -> Person:
    """The IdM removed the person: inactive, IdM mailboxes deactivated, kept for the
    certificates (offboarding revokes them) and the audit trail."""
    return apply_change(session, IdentityChange(person.username, active=False, removed=True),
                        source=source, actor=actor, idm_domains=idm_domains, now=now,
                        person=person)


def _copy(change: IdentityChange, person: Person, now) -> None:
    person.username = change.username
    if change.given_name is not None:  # as far as a certificate can hold them (no NUL)
        person.given_name = printable(change.given_name, IDM_NAME_MAX)
    if change.surname is not None:
        person.surname = printable(change.surname, IDM_NAME_MAX)
    if change.affiliations is not None:
        person.affiliations = " ".join(dict.fromkeys(change.affiliations))
    if change.emails is not None:
        person.idm_emails = " ".join(dict.fromkeys(
            e.strip() for e in change.emails if e.strip()))[:IDM_EMAILS_MAX]
    if change.external_id is not None:
        person.external_id = change.external_id or None
    if change.active is not None or change.clear_active:
        person.idm_active = change.active
    if change.removed is not None:
        person.idm_removed_at = (person.idm_removed_at or now) if change.removed else None


def _plain(value):
    """An audit-friendly (JSON) value."""
    return value.isoformat() if hasattr(value, "isoformat") else value


def _idm_addresses(emails: list[str], idm_domains: list[str]) -> dict[str, str]:
    """Lower-cased address -> address as given, for addresses in the IdM domains."""
    found = {}
    for email in emails:
        email = email.strip()
        if "@" in email and email.rsplit("@", 1)[1].lower() in idm_domains:
            found[email.lower()] = email
    return found


def _sync_idm_mailboxes(session: Session, person: Person, addresses: dict[str, str],
                        now) -> None:
    rows = session.exec(
        select(Mailbox, MailboxAddress)
        .join(MailboxAddress, MailboxAddress.mailbox_id == Mailbox.id)
        .where(Mailbox.owner_id == person.id, Mailbox.source == "idm")
        .options(lazyload("*"))  # the relationships only when a transition reads them
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
