"""Column helpers shared by the models."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, DateTime, String, Text
from sqlmodel import Field


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_public_id() -> str:
    """Random public id for URLs (never a sequential integer)."""
    return str(uuid.uuid4())


def text(length: int, **kwargs: Any) -> Any:
    # Explicit String(n): plain AutoString columns vanish from Flask-Admin forms.
    return Field(sa_type=String(length), **kwargs)


def long_text(**kwargs: Any) -> Any:
    return Field(sa_type=Text, **kwargs)


def json_field(**kwargs: Any) -> Any:
    return Field(sa_type=JSON, **kwargs)


def timestamp(**kwargs: Any) -> Any:
    return Field(sa_type=DateTime(timezone=True), **kwargs)


def public_id_field() -> Any:
    return Field(sa_type=String(36), default_factory=new_public_id, unique=True, index=True)
