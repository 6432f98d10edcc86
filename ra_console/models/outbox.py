"""Outbox: side effects recorded in the transaction, performed later by the job runner."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import Index, text as sql
from sqlmodel import Field, SQLModel

from ra_console.models._types import json_field, text, timestamp, utcnow

PENDING = sql("state = 'pending'")


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox"
    # The runners' claims: due rows of some kinds (CA submissions), or of all the other
    # kinds, oldest first. Among hundreds of thousands of done rows, indexes of the pending
    # ones only (migration 0017; docs/performance.md).
    __table_args__ = (
        Index("ix_outbox_pending_kind", "kind", "id", postgresql_where=PENDING,
              sqlite_where=PENDING),
        Index("ix_outbox_pending", "id", postgresql_where=PENDING, sqlite_where=PENDING))
    id: Optional[int] = Field(default=None, primary_key=True)
    kind: str = text(64, index=True)
    payload: dict[str, Any] = json_field(default_factory=dict)
    dedupe_key: str = text(200, unique=True)
    state: str = text(16, default="pending", index=True)  # pending | done | dead
    attempts: int = Field(default=0)
    next_attempt_at: datetime = timestamp(default_factory=utcnow, index=True)
    last_error: Optional[str] = text(2000, default=None, nullable=True)
    created_at: datetime = timestamp(default_factory=utcnow)
    done_at: Optional[datetime] = timestamp(default=None, nullable=True)
