"""Certificate requests, living on as certificates."""


from datetime import datetime
from typing import Any, ClassVar, Optional

from sqlalchemy import Index, text as sql
from sqlmodel import Field, Relationship, SQLModel

from ra_console.models._types import json_field, long_text, public_id_field, text, timestamp, utcnow
from ra_console.models.mailbox import Mailbox
from ra_console.models.organization import Person

OFFBOARDING = sql("offboard_at IS NOT NULL")


class Certificate(SQLModel, table=True):
    __workflow__: ClassVar[str] = "certificate"
    # Issuing writes a new entry into every index of this table (status, serial and the
    # dates change, so no HOT update): indexes here are what a page or job cannot do
    # without. The console's substring search has narrow tables of its own
    # (certificate_name, certificate_identifier).
    __table_args__ = (
        # "issued, notAfter before X": dashboard, expiry and reminder sweeps; and any
        # look-up by status (its first column)
        Index("ix_certificate_status_not_after", "status", "not_after"),
        Index("ix_certificate_issued_at", "issued_at"),  # dashboard: issued per month
        # the offboarding sweep's scheduled revocations: the few rows that have one
        Index("ix_certificate_offboard_at", "offboard_at", postgresql_where=OFFBOARDING,
              sqlite_where=OFFBOARDING),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    public_id: str = public_id_field()
    person_id: int = Field(foreign_key="person.id", index=True)
    mailbox_id: int = Field(foreign_key="mailbox.id", index=True)
    status: str = text(32)
    profile: str = text(64)
    # Snapshot of what the RA asked the CA for.
    addresses: list[str] = json_field(default_factory=list)
    subject: str = text(1000, default="")
    given_name: Optional[str] = text(200, default=None, nullable=True)
    surname: Optional[str] = text(200, default=None, nullable=True)
    common_name: Optional[str] = text(200, default=None, nullable=True)
    key_algorithm: str = text(16)
    csr_pem: str = long_text()
    spki_sha256: str = text(64, index=True)
    origin: str = text(16, default="upload")  # upload | browser
    consents: dict[str, Any] = json_field(default_factory=dict)
    # indexed: the console's certificate list is newest first (a full scan at 1 M without)
    created_at: datetime = timestamp(default_factory=utcnow, index=True)
    # CA pipeline (operator detail).
    ca_name: Optional[str] = text(64, default=None, nullable=True)
    ca_ref: Optional[str] = text(200, default=None, nullable=True)
    # Issued certificate.
    serial: Optional[str] = text(64, default=None, nullable=True, index=True)
    not_before: Optional[datetime] = timestamp(default=None, nullable=True)
    not_after: Optional[datetime] = timestamp(default=None, nullable=True, index=True)
    cert_pem: Optional[str] = long_text(default=None, nullable=True)
    chain_pem: Optional[str] = long_text(default=None, nullable=True)
    issued_at: Optional[datetime] = timestamp(default=None, nullable=True)
    lint_findings: list[Any] = json_field(default_factory=list)
    revoked_at: Optional[datetime] = timestamp(default=None, nullable=True)
    revocation_reason: Optional[str] = text(32, default=None, nullable=True)
    # Directory publication (LDAP): None (never), "published", "removed"; the entry's DN.
    directory_state: Optional[str] = text(16, default=None, nullable=True)
    directory_dn: Optional[str] = text(500, default=None, nullable=True)
    # Offboarding: when the holder lost their entitlement (status or address), the
    # certificate is revoked at offboard_at with offboard_reason (SBR §4.9.1.1).
    offboard_at: Optional[datetime] = timestamp(default=None, nullable=True)
    offboard_reason: Optional[str] = text(32, default=None, nullable=True)

    # For console lists and headings (whose certificate, which institute); loaded only
    # where a page asks for them (selectinload), never by the jobs.
    person: Optional[Person] = Relationship(sa_relationship_kwargs={"viewonly": True})
    mailbox: Optional[Mailbox] = Relationship(sa_relationship_kwargs={"viewonly": True})
