"""Certificate requests: which addresses are requestable, and creating a request."""

from __future__ import annotations

from typing import Any

from cryptography.x509.oid import NameOID
from sqlmodel import Session, select

from ra_console.models import Certificate, Mailbox, Person
from ra_console.pki.certificates import SubjectSpec, build_subject
from ra_console.pki.csr import CsrError, check_csr
from ra_console.queries.addresses import addresses_of
from ra_console.queries.requests import AddressChoice, address_choices, has_status, own_mailbox
from ra_console.workflow.actor import Actor
from ra_console.workflow.engine import create

# Short names for attributes RFC 4514 prints as dotted OIDs.
READABLE_NAMES = {NameOID.SURNAME: "SN", NameOID.GIVEN_NAME: "GN",
                  NameOID.ORGANIZATION_IDENTIFIER: "organizationIdentifier"}
CONSENTS = ("name_and_mailbox", "data_processing", "directory_publication")
CONSENT_VERSION = "2026-11"


class RequestError(Exception):
    """A request cannot be made; `code` + `params` become a message in the user's language."""

    def __init__(self, code: str, **params: Any):
        super().__init__(code)
        self.code, self.params = code, params


def subject_spec(person: Person, mailbox: Mailbox, emails: tuple[str, ...]) -> SubjectSpec:
    if mailbox.kind == "functional":  # no personal name in a functional mailbox's certificate
        return SubjectSpec(given_name=None, surname=None, common_name=None, emails=emails)
    given = person.legal_given_name or person.given_name
    surname = person.legal_surname or person.surname
    return SubjectSpec(given_name=given, surname=surname,
                       common_name=f"{given} {surname}".strip(), emails=emails)


def _blocked(choice: AddressChoice) -> RequestError:
    return RequestError(choice.blocker.reason, **choice.blocker.params(),
                        days=choice.profile.renewal_window_days, address=choice.primary.display)


def _choose(session: Session, runtime, person: Person, mailbox_public_id: str) -> AddressChoice:
    """The chosen mailbox if a request may be made for it, else the real reason why not."""
    choices = address_choices(session, runtime, person, runtime.now())
    if not choices:
        raise RequestError("no_address")
    if not mailbox_public_id:
        blocked = [c for c in choices if not c.requestable]
        if len(blocked) == len(choices):  # nothing could be chosen: say why
            raise _blocked(blocked[0])
        raise RequestError("mailbox_missing")
    choice = next((c for c in choices if c.mailbox.public_id == mailbox_public_id), None)
    if choice is None:
        mailbox = own_mailbox(session, person, mailbox_public_id)
        if mailbox is not None and mailbox.status == "pending_challenge":
            primary = next((a for a in addresses_of(session, mailbox) if a.is_primary), None)
            raise RequestError("pending_challenge",
                               address=primary.display if primary else "")
        raise RequestError("unknown_address")
    if not choice.requestable:
        raise _blocked(choice)
    return choice


def create_request(session: Session, runtime, actor: Actor, person: Person, *,
                   mailbox_public_id: str, aliases: list[str], csr: bytes | str,
                   consents: dict[str, bool], origin: str = "upload") -> Certificate:
    """Check everything, then add the request in state `requested` (caller commits)."""
    if not has_status(person, runtime):
        raise RequestError("identity_check_needed")
    choice = _choose(session, runtime, person, mailbox_public_id)
    missing = [name for name in CONSENTS if not consents.get(name)]
    if missing:
        raise RequestError("consent_missing", consents=missing)
    alias_map = {a.address: a for a in choice.aliases}
    foreign = [a for a in aliases if a not in alias_map]
    if foreign:  # only the chosen mailbox's aliases may go into its certificate
        raise RequestError("foreign_alias", alias=foreign[0], address=choice.primary.display)
    try:
        info = check_csr(csr, allowed_algorithms=choice.profile.key_algorithms,
                         max_bytes=runtime.config["max_upload_bytes"])
    except CsrError as exc:
        raise RequestError("csr_" + exc.code, **exc.params) from None
    reused = session.exec(select(Certificate.id).where(
        Certificate.spki_sha256 == info.spki_sha256, Certificate.status != "deleted")).first()
    if reused is not None:
        raise RequestError("key_reused")
    emails = (choice.primary.address, *[alias_map[a].address for a in aliases])
    spec = subject_spec(person, choice.mailbox, emails)
    try:
        subject = build_subject(choice.profile, spec).rfc4514_string(READABLE_NAMES)
    except ValueError as exc:
        raise RequestError("bad_subject", detail=str(exc)) from None
    stamp = runtime.now().isoformat()
    cert = Certificate(
        person_id=person.id, mailbox_id=choice.mailbox.id, profile=choice.profile.name,
        addresses=list(emails), subject=subject, given_name=spec.given_name,
        surname=spec.surname, common_name=spec.common_name, key_algorithm=info.key_algorithm,
        csr_pem=info.csr_pem, spki_sha256=info.spki_sha256, origin=origin,
        consents={name: {"version": CONSENT_VERSION, "at": stamp} for name in CONSENTS},
    )
    create(session, cert, actor, data={"addresses": ", ".join(emails), "origin": origin})
    return cert
