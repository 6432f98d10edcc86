"""Institutes, persons and their roles."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, Relationship, SQLModel

from ra_console.models._types import public_id_field, text, timestamp, utcnow


class Institute(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    code: str = text(32, unique=True, index=True)
    name_de: str = text(200)
    name_en: str = text(200)


class InstituteDomain(SQLModel, table=True):
    """A mail domain in which an institute's network contacts may add addresses."""

    __tablename__ = "institute_domain"
    id: Optional[int] = Field(default=None, primary_key=True)
    institute_id: int = Field(foreign_key="institute.id", index=True)
    domain: str = text(253, unique=True)
    # for the console's list: the institute by its name, not its number
    institute: Institute = Relationship(sa_relationship_kwargs={
        "lazy": "selectin", "viewonly": True})


class Person(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    public_id: str = public_id_field()
    username: str = text(200, unique=True, index=True)
    given_name: str = text(200, default="")
    surname: str = text(200, default="")
    # Space-separated IdM affiliations from the last sign-in (e.g. "employee member").
    affiliations: str = text(500, default="")
    # Legal name recorded by an identity check; wins over the IdM name in certificates.
    legal_given_name: Optional[str] = text(200, default=None, nullable=True)
    legal_surname: Optional[str] = text(200, default=None, nullable=True)
    locale: Optional[str] = text(8, default=None, nullable=True)
    created_at: datetime = timestamp(default_factory=utcnow)
    last_login_at: Optional[datetime] = timestamp(default=None, nullable=True)
    # Stored in the session cookie at sign-in and compared on every request; raised at
    # sign-out ("everywhere"), so every copy of an older cookie is refused.
    session_generation: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # What the identity feed (usecases/identity_feed.py) last heard from the IdM:
    # the IdM's own id of the person (SCIM externalId), every address it listed
    # (space-separated; only those in the IdM domains become mailboxes), and whether the
    # person is active there (None: the IdM does not say, which counts as active). An
    # inactive person has no status, whatever else is stored.
    external_id: Optional[str] = text(200, default=None, nullable=True, unique=True,
                                      index=True)
    idm_emails: str = text(2000, default="", sa_column_kwargs={"server_default": ""})
    idm_active: Optional[bool] = Field(default=True, nullable=True,
                                       sa_column_kwargs={"server_default": "1"})
    # Raised by every change the feed applies (the SCIM ETag); when it happened.
    idm_version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    idm_updated_at: Optional[datetime] = timestamp(default=None, nullable=True)
    # When the IdM removed the person (SCIM DELETE): kept for the certificates and the
    # audit trail, inactive, and no longer a SCIM resource.
    idm_removed_at: Optional[datetime] = timestamp(default=None, nullable=True)
    # A network contact's choice (console start page): the weekly digest of their
    # institutes' figures by mail (jobs/digest.py).
    weekly_digest: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    # "ldap": the LDAP pull sync (usecases/ldap_sync.py) manages the person, so its full
    # comparison deactivates them when they are gone from the directory. None: only
    # sign-ins, SCIM or the console speak for them.
    idm_source: Optional[str] = text(16, default=None, nullable=True)

    @property
    def display_name(self) -> str:
        return display_name_of(self.given_name, self.surname, self.legal_given_name,
                               self.legal_surname, self.username)


def display_name_of(given_name: str, surname: str, legal_given_name: str | None,
                    legal_surname: str | None, username: str) -> str:
    """The legal name where an identity check recorded one, else the IdM's; the user name
    for a person without a name (also for plain rows: queries/certificate_list.py)."""
    given = legal_given_name or given_name
    surname = legal_surname or surname
    return f"{given} {surname}".strip() or username


class RoleAssignment(SQLModel, table=True):
    __tablename__ = "role_assignment"
    __table_args__ = (UniqueConstraint("person_id", "role", "institute_id"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    role: str = text(32)
    # Only for network_contact: the institute this assignment covers.
    institute_id: Optional[int] = Field(default=None, foreign_key="institute.id", nullable=True)
    # "console" (granted by an RA admin) or "sso" (mapped from sign-in attributes; removed
    # again when the attribute goes away).
    source: str = text(16, default="console")
    # for the console's list: who and where by name, not by number (institute: None for
    # the global roles)
    person: Person = Relationship(sa_relationship_kwargs={
        "lazy": "selectin", "viewonly": True})
    institute: Institute = Relationship(sa_relationship_kwargs={
        "lazy": "selectin", "viewonly": True})
