"""Challenge e-mails: one per address and sending; only a hash of the token is stored."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlmodel import Field, SQLModel

from ra_console.models._types import public_id_field, text, timestamp, utcnow


class Challenge(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    public_id: str = public_id_field()
    # History outlives the alias: removing an address (a console edit, a CSV update) only
    # detaches its challenges (SET NULL), which keep their row and the address they went
    # to. Detaching beats a soft-deleted address row, which every address query and the
    # unique address index would have to skip.
    mailbox_id: int = Field(foreign_key="mailbox.id", index=True)
    address: str = text(320)
    address_id: Optional[int] = Field(default=None, foreign_key="mailbox_address.id",
                                      ondelete="SET NULL", nullable=True, index=True)
    # The person who must redeem it (the owner, or a functional mailbox's applicant).
    person_id: int = Field(foreign_key="person.id", index=True)
    # 128 random bits; the token in the mail is HMAC(secret_key, nonce), so neither a
    # copy of the database nor of the outbox reveals a usable token.
    nonce: str = text(32)
    token_hash: str = text(64, unique=True, index=True)
    created_at: datetime = timestamp(default_factory=utcnow)
    expires_at: datetime = timestamp()
    redeemed_at: Optional[datetime] = timestamp(default=None, nullable=True)
    superseded_at: Optional[datetime] = timestamp(default=None, nullable=True)
