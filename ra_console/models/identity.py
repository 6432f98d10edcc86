"""In-person identity checks for people without employee/student status."""

from datetime import date, datetime
from typing import ClassVar, Optional

from sqlalchemy import Date
from sqlmodel import Field, Relationship, SQLModel

from ra_console.models._types import public_id_field, text, timestamp, utcnow
from ra_console.models.organization import Person


class IdentityCheck(SQLModel, table=True):
    __tablename__ = "identity_check"
    __workflow__: ClassVar[str] = "identity"
    id: Optional[int] = Field(default=None, primary_key=True)
    public_id: str = public_id_field()
    person_id: int = Field(foreign_key="person.id", index=True)
    status: str = text(32, index=True)
    # The code the person shows at the desk: only its hash is kept (staff cannot look it up).
    code_hash: str = text(64, unique=True, index=True)
    consent_at: datetime = timestamp(default_factory=utcnow)
    created_at: datetime = timestamp(default_factory=utcnow)
    verifier: Optional[str] = text(200, default=None, nullable=True)
    legal_given_name: Optional[str] = text(200, default=None, nullable=True)
    legal_surname: Optional[str] = text(200, default=None, nullable=True)
    document_type: Optional[str] = text(32, default=None, nullable=True)
    document_issuer: Optional[str] = text(200, default=None, nullable=True)
    # The document number only as a keyed hash plus its last characters (SBR §3.2.4.2).
    document_number_hash: Optional[str] = text(64, default=None, nullable=True)
    document_number_last: Optional[str] = text(8, default=None, nullable=True)
    document_expiry: Optional[date] = Field(default=None, sa_type=Date, nullable=True)
    verified_at: Optional[datetime] = timestamp(default=None, nullable=True)
    valid_until: Optional[datetime] = timestamp(default=None, nullable=True, index=True)
    reject_reason: Optional[str] = text(500, default=None, nullable=True)

    # the person's name in console lists and headings
    person: Optional[Person] = Relationship(sa_relationship_kwargs={
        "lazy": "selectin", "viewonly": True})
