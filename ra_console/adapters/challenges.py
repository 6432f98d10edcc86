"""Challenge records: the one-time links that confirm an institute address. Effects create
and kill them; redeeming (a use case) looks them up by the token hash."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, select

from ra_console.models import Challenge, Mailbox
from ra_console.queries.addresses import addresses_of


def token_for(secret: str, nonce: str) -> str:
    digest = hmac.new(secret.encode(), f"challenge:{nonce}".encode(), hashlib.sha256).digest()
    return _b64(digest)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def kill_challenges(session: Session, mailbox: Mailbox, now: datetime) -> int:
    pending = session.exec(select(Challenge).where(
        Challenge.mailbox_id == mailbox.id, Challenge.redeemed_at.is_(None),
        Challenge.superseded_at.is_(None))).all()
    for challenge in pending:
        challenge.superseded_at = now
    return len(pending)


def new_challenges(session: Session, mailbox: Mailbox, *, secret: str, now: datetime,
                   valid_hours: int) -> list[Challenge]:
    """One fresh challenge per unconfirmed address of the row (older ones die)."""
    kill_challenges(session, mailbox, now)
    person_id = mailbox.applicant_id or mailbox.owner_id
    made = []
    for address in addresses_of(session, mailbox):
        if address.verified_at is not None:
            continue
        nonce = secrets.token_hex(16)
        challenge = Challenge(mailbox_id=mailbox.id, address=address.address,
                              address_id=address.id, person_id=person_id, nonce=nonce,
                              token_hash=hash_token(token_for(secret, nonce)), created_at=now,
                              expires_at=now + timedelta(hours=valid_hours))
        session.add(challenge)
        made.append(challenge)
    session.flush()
    return made
