"""Run-time settings changed by RA admins in the console (e.g. the maintenance switch)."""

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from ra_console.models._types import json_field, text, timestamp, utcnow


class Setting(SQLModel, table=True):
    key: str = Field(sa_type=String(64), primary_key=True)
    value: Any = json_field(default=None)
    updated_by: Optional[str] = text(200, default=None, nullable=True)
    updated_at: datetime = timestamp(default_factory=utcnow)
