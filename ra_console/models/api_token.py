"""API tokens: a person's bearer tokens for /api/v1/ (only their hash is stored)."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlmodel import Field, SQLModel

from ra_console.models._types import public_id_field, text, timestamp, utcnow


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"
    id: Optional[int] = Field(default=None, primary_key=True)
    public_id: str = public_id_field()
    person_id: int = Field(foreign_key="person.id", index=True)
    name: str = text(100)
    # Space-separated roles the token may act in (a subset of the person's roles at use).
    scopes: str = text(200)
    # SHA-256 of the secret: the secret has 256 random bits, so a slow hash adds nothing.
    token_hash: str = text(64, unique=True, index=True)
    created_at: datetime = timestamp(default_factory=utcnow)
    expires_at: datetime = timestamp()
    revoked_at: Optional[datetime] = timestamp(default=None, nullable=True)
    last_used_at: Optional[datetime] = timestamp(default=None, nullable=True)
