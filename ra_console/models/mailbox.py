"""Mailboxes (one row per authorised mailbox) and their addresses."""


from datetime import datetime
from typing import ClassVar, Optional

from sqlalchemy import Index
from sqlmodel import Field, Relationship, SQLModel

from ra_console.models._types import public_id_field, text, timestamp, utcnow
from ra_console.models.organization import Institute, Person  # noqa: F401  (relationship targets)


class Mailbox(SQLModel, table=True):
    __workflow__: ClassVar[str] = "mailbox"
    id: Optional[int] = Field(default=None, primary_key=True)
    public_id: str = public_id_field()
    # None for IdM addresses (they belong to the central identity management).
    institute_id: Optional[int] = Field(default=None, foreign_key="institute.id", index=True)
    kind: str = text(16, default="personal")  # personal | functional
    source: str = text(16, default="idm")  # idm | institute
    display_name: str = text(200, default="")
    owner_id: int = Field(foreign_key="person.id", index=True)
    applicant_id: Optional[int] = Field(default=None, foreign_key="person.id", nullable=True)
    status: str = text(32, index=True)
    comment: str = text(500, default="")
    created_at: datetime = timestamp(default_factory=utcnow)
    # Functional mailboxes: an RA admin approves the display name before any challenge.
    name_approved_by: Optional[str] = text(200, default=None, nullable=True)
    name_approved_at: Optional[datetime] = timestamp(default=None, nullable=True)

    # For console lists and searches (by address, by person); loaded in one extra query.
    addresses: list["MailboxAddress"] = Relationship(sa_relationship_kwargs={
        "order_by": "MailboxAddress.id", "lazy": "selectin", "viewonly": True})
    owner: "Person" = Relationship(sa_relationship_kwargs={
        "foreign_keys": "[Mailbox.owner_id]", "lazy": "selectin", "viewonly": True})
    institute: Optional["Institute"] = Relationship(sa_relationship_kwargs={
        "lazy": "selectin", "viewonly": True})


class MailboxAddress(SQLModel, table=True):
    __tablename__ = "mailbox_address"
    __table_args__ = (  # console search by address: trigram GIN on PostgreSQL
        Index("ix_mailbox_address_address_trgm", "address", postgresql_using="gin",
              postgresql_ops={"address": "gin_trgm_ops"}),
        # a prefix ("^staff2") as a B-tree range; the unique index serves only "=" under a
        # collation other than C (migration 0019)
        Index("ix_mailbox_address_address_prefix", "address",
              postgresql_ops={"address": "varchar_pattern_ops"}),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    mailbox_id: int = Field(foreign_key="mailbox.id", index=True)
    # Lower-cased for lookups; `display` keeps the local part as given.
    address: str = text(320, unique=True, index=True)
    display: str = text(320)
    is_primary: bool = Field(default=False)
    verified_at: Optional[datetime] = timestamp(default=None, nullable=True)
    # How mailbox control was established (SBR §3.2.2): idm | challenge
    method: Optional[str] = text(16, default=None, nullable=True)
