"""The console's search by serial, key fingerprint or reference id: a narrow copy of those
identifiers of each certificate, kept by the app, written once and never updated.

Why not trigram indexes on `certificate` itself: issuing updates the certificate row's
status, serial and dates, which are indexed, so PostgreSQL writes a new entry into every
index of the table for every certificate it issues (no HOT update), and trigram GIN entries
are the dearest of them (docs/performance.md, tenth round). Here the identifiers known with
the request (reference id, key fingerprint) are written with it, and the serial once at
issuance: one narrow row and one trigram entry each.
"""

from sqlalchemy import Column, ForeignKey, Index, Integer, String, bindparam, event, inspect
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel

from ra_console.models._types import text
from ra_console.models.certificate import Certificate

# the certificate's columns copied here; all hold lower-case hex digits (a UUID's dashes)
IDENTIFIERS = ("public_id", "spki_sha256", "serial")


class CertificateIdentifier(SQLModel, table=True):
    __tablename__ = "certificate_identifier"
    __table_args__ = (
        # ILIKE '%term%': trigram GIN on PostgreSQL, a plain index on SQLite
        Index("ix_certificate_identifier_value_trgm", "value", postgresql_using="gin",
              postgresql_ops={"value": "gin_trgm_ops"}),
    )
    certificate_id: int = Field(sa_column=Column(
        Integer, ForeignKey("certificate.id", ondelete="CASCADE"), primary_key=True))
    kind: str = Field(sa_column=Column(String(16), primary_key=True))  # the column's name
    value: str = text(64)


@event.listens_for(Session, "after_flush")
def _copy_identifiers(session: Session, _context) -> None:
    """The identifiers of the certificates this flush wrote, in one statement for all of
    them (a batch of issuances flushes once). `new` and `dirty` still hold what was
    flushed, with the attributes' history (SQLAlchemy's after_flush)."""
    added, removed = [], []
    for cert in session.new:
        if isinstance(cert, Certificate):
            added += [{"certificate_id": cert.id, "kind": kind, "value": getattr(cert, kind)}
                      for kind in IDENTIFIERS if getattr(cert, kind)]
    for cert in session.dirty:
        if not isinstance(cert, Certificate):
            continue
        state = inspect(cert)
        for kind in IDENTIFIERS:
            history = state.attrs[kind].history
            if not history.added:
                continue
            if any(history.deleted):  # a value that changes (none does today)
                removed.append({"id": cert.id, "kind": kind})
            if history.added[0]:
                added.append({"certificate_id": cert.id, "kind": kind,
                              "value": history.added[0]})
    table = CertificateIdentifier.__table__
    if removed:
        session.connection().execute(table.delete().where(
            table.c.certificate_id == bindparam("id"), table.c.kind == bindparam("kind")),
            removed)
    if added:
        session.connection().execute(table.insert(), added)
