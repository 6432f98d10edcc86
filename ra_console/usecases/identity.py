"""In-person identity checks: start (code shown once), look up by code, verify or reject."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, select

from ra_console.core.db import aware
from ra_console.models import IdentityCheck, Person
from ra_console.pki.input_rules import (
    document_number_problem,
    free_text_problem,
    name_problem,
    refuse,
)
from ra_console.workflow.actor import Actor
from ra_console.workflow.engine import create, fire

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
DOCUMENT_TYPES = ("passport", "id_card", "residence_permit")
REFUSED_DOCUMENTS = ("driving_licence",)
ISSUER_MAX = 100  # "Bürgeramt …, Landeshauptstadt …" and the like


class IdentityError(Exception):
    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code, self.params = code, params


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))  # 60 bits
    return "-".join(raw[i:i + 4] for i in range(0, 12, 4))


def hash_code(code: str) -> str:
    cleaned = "".join(ch for ch in code.upper() if ch in CODE_ALPHABET)
    return hashlib.sha256(cleaned.encode()).hexdigest()


def current_check(session: Session, person_id: int, now: datetime) -> IdentityCheck | None:
    """The person's valid verified check, if any."""
    checks = session.exec(select(IdentityCheck).where(
        IdentityCheck.person_id == person_id, IdentityCheck.status == "verified")).all()
    return next((c for c in checks if aware(c.valid_until) > now), None)


def start(session: Session, actor: Actor, person: Person) -> str:
    """Begin a check (consent given); returns the code, shown to the person once."""
    for old in session.exec(select(IdentityCheck).where(
            IdentityCheck.person_id == person.id, IdentityCheck.status == "started")).all():
        fire(session, old, "cancel", actor)
    code = new_code()
    check = IdentityCheck(person_id=person.id, code_hash=hash_code(code))
    create(session, check, actor)
    return code


def find_by_code(session: Session, code: str) -> IdentityCheck:
    check = session.exec(select(IdentityCheck).where(
        IdentityCheck.code_hash == hash_code(code or ""))).first()
    if check is None:
        raise IdentityError("unknown_code")
    if check.status != "started":
        raise IdentityError("code_used")
    return check


@dataclass(frozen=True)
class DocumentRecord:
    legal_given_name: str
    legal_surname: str
    document_type: str
    document_issuer: str
    document_number: str
    document_expiry: date | None


def _check_record(record: DocumentRecord, today: date, accepted: list[str]) -> None:
    if record.document_type in REFUSED_DOCUMENTS:
        raise IdentityError("document_refused")
    if record.document_type not in accepted:
        raise IdentityError("document_type_unknown")
    missing = [name for name in ("legal_given_name", "legal_surname", "document_issuer",
                                 "document_number") if not getattr(record, name).strip()]
    if missing or record.document_expiry is None:
        raise IdentityError("missing_fields", fields=", ".join(missing + (
            ["document_expiry"] if record.document_expiry is None else [])))
    if record.document_expiry < today:
        raise IdentityError("document_expired")
    # the legal name becomes the CN of the person's certificates
    for name in ("legal_given_name", "legal_surname"):
        refuse(IdentityError, name_problem(" ".join(getattr(record, name).split())),
               field=name)
    refuse(IdentityError, name_problem(record.document_issuer.strip(), limit=ISSUER_MAX),
           field="document_issuer")
    refuse(IdentityError, document_number_problem(record.document_number.strip()),
           field="document_number")
    if len(record.document_number.strip()) < 4:
        raise IdentityError("document_number_short")


def number_hash(secret: str, number: str) -> str:
    normalized = "".join(number.split()).upper()
    return hmac.new(secret.encode(), f"document:{normalized}".encode(),
                    hashlib.sha256).hexdigest()


def verify(session: Session, actor: Actor, check: IdentityCheck, record: DocumentRecord, *,
           secret: str, now: datetime, valid_days: int, accepted: list[str]) -> None:
    """Record the document and the legal name; the name goes into future certificates."""
    _check_record(record, now.date(), accepted)
    fire(session, check, "verify", actor, document_type=record.document_type)
    check.verifier = actor.username
    check.legal_given_name = " ".join(record.legal_given_name.split())
    check.legal_surname = " ".join(record.legal_surname.split())
    check.document_type, check.document_issuer = record.document_type, record.document_issuer
    check.document_number_hash = number_hash(secret, record.document_number)
    check.document_number_last = "".join(record.document_number.split())[-3:]
    check.document_expiry = record.document_expiry
    check.verified_at, check.valid_until = now, now + timedelta(days=valid_days)
    person = session.get(Person, check.person_id)
    person.legal_given_name, person.legal_surname = check.legal_given_name, check.legal_surname


def reject(session: Session, actor: Actor, check: IdentityCheck, reason: str) -> None:
    if not reason.strip():
        raise IdentityError("reason_missing")
    refuse(IdentityError, free_text_problem(reason.strip()), field="reason")
    fire(session, check, "reject", actor, reason=reason.strip()[:500])
    check.verifier, check.reject_reason = actor.username, reason.strip()[:500]
