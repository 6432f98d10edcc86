"""The SCIM clients (an IdM pushing persons to /scim/v2/) and their bearer tokens."""

from datetime import datetime
from typing import Optional

from sqlmodel import Field, SQLModel

from ra_console.models._types import text, timestamp, utcnow


class ScimClient(SQLModel, table=True):
    __tablename__ = "scim_client"
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = text(100, unique=True)
    # SHA-256 of the token (hex): the token is 256 random bits, so a fast hash suffices;
    # the token itself is shown once and never stored.
    token_hash: str = text(64, unique=True, index=True)
    created_by: str = text(200)
    created_at: datetime = timestamp(default_factory=utcnow)
    rotated_at: Optional[datetime] = timestamp(default=None, nullable=True)
    last_used_at: Optional[datetime] = timestamp(default=None, nullable=True)
