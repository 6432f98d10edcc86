"""Certificate problem reports (S/MIME BR §4.9.5): anyone reports, an RA admin acts within
the deadline (`problem_reports.response_hours`, 24 by the BR)."""

from datetime import datetime
from typing import ClassVar, Optional

from sqlmodel import Field, Relationship, SQLModel

from ra_console.models._types import long_text, public_id_field, text, timestamp, utcnow
from ra_console.models.certificate import Certificate


class ProblemReport(SQLModel, table=True):
    __tablename__ = "problem_report"
    __workflow__: ClassVar[str] = "problem_report"
    id: Optional[int] = Field(default=None, primary_key=True)
    public_id: str = public_id_field()
    status: str = text(32, index=True)
    certificate_id: int = Field(foreign_key="certificate.id", index=True)
    serial: str = text(64)
    kind: str = text(32)  # key_compromise | misuse | wrong_data | other
    description: str = long_text()
    reporter_email: str = text(320)
    reporter_lang: str = text(8, default="en")
    created_at: datetime = timestamp(default_factory=utcnow)
    # created_at + the response deadline; the reminder sweep and the dashboard read it
    due_at: datetime = timestamp(index=True)
    closed_at: Optional[datetime] = timestamp(default=None, nullable=True)
    closed_by: Optional[str] = text(200, default=None, nullable=True)
    conclusion: Optional[str] = long_text(default=None, nullable=True)

    # the reported certificate in console lists and headings
    certificate: Optional[Certificate] = Relationship(sa_relationship_kwargs={
        "lazy": "selectin", "viewonly": True})
