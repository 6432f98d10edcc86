"""Append-only, hash-chained audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlmodel import Field, SQLModel

from ra_console.models._types import json_field, text, timestamp, utcnow


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    id: Optional[int] = Field(default=None, primary_key=True)
    seq: int = Field(unique=True, index=True)
    entity_type: str = text(32, index=True)
    entity_id: str = text(64, index=True)
    trigger: str = text(64)
    from_state: Optional[str] = text(32, default=None, nullable=True)
    to_state: Optional[str] = text(32, default=None, nullable=True)
    actor: str = text(200)
    role: str = text(32)
    at: datetime = timestamp(default_factory=utcnow)
    ip: Optional[str] = text(64, default=None, nullable=True)
    data: dict[str, Any] = json_field(default_factory=dict)
    prev_hash: str = text(64)
    hash: str = text(64)


class AuditHead(SQLModel, table=True):
    """One row: the chain's last sequence number and hash. Locking it orders writers."""

    __tablename__ = "audit_head"
    id: int = Field(default=1, primary_key=True)
    seq: int = Field(default=0)
    hash: str = text(64, default="0" * 64)
