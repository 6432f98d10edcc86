"""The console's name search: a narrow copy of each certificate's name, kept by the app.

Why a table of its own and not a column on `certificate`: a trigram match is always
rechecked against the row, and certificate rows are wide (CSR and certificate PEM, ~1.6 kB),
so a name found in 800 certificates cost 800 heap pages of the big table for the count and
again for the page (docs/performance.md). Here a row is ~60 bytes, and the rows are kept in
the order of their name key (CLUSTER on the B-tree index, migration 0012): the certificates
of one name sit together on a few pages, so count, rank and page order cost a few pages
instead of one per certificate. Rows added later are appended; `CLUSTER certificate_name`
restores the order (docs/performance.md).
"""

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Integer, event, inspect
from sqlmodel import Field, SQLModel

from ra_console.models._types import text, timestamp
from ra_console.models.certificate import Certificate


def name_key(name: str | None) -> str | None:
    """The searchable form of a name: lower-case, as ILIKE compares (no accent folding:
    "Muller" must not find "Müller", the search gives the same results as ILIKE did)."""
    return None if name is None else name.lower()


class CertificateName(SQLModel, table=True):
    __tablename__ = "certificate_name"
    __table_args__ = (
        # LIKE '%term%' on the key: trigram GIN on PostgreSQL, a plain index on SQLite
        Index("ix_certificate_name_key_trgm", "name_key", postgresql_using="gin",
              postgresql_ops={"name_key": "gin_trgm_ops"}),
        Index("ix_certificate_name_key", "name_key"),  # the table's physical order (CLUSTER)
    )
    certificate_id: int = Field(sa_column=Column(
        Integer, ForeignKey("certificate.id", ondelete="CASCADE"), primary_key=True))
    name_key: str = text(200)
    # a copy of certificate.created_at: the list's default order without the big table
    created_at: datetime = timestamp()


def _row(cert: Certificate) -> dict:
    return {"certificate_id": cert.id, "name_key": name_key(cert.common_name),
            "created_at": cert.created_at}


@event.listens_for(Certificate, "after_insert")
def _inserted(mapper, connection, cert: Certificate) -> None:
    if cert.common_name:
        connection.execute(CertificateName.__table__.insert(), [_row(cert)])


@event.listens_for(Certificate, "after_update")
def _updated(mapper, connection, cert: Certificate) -> None:
    # the name is a snapshot taken at the request; should it ever change, follow it
    if not inspect(cert).attrs.common_name.history.has_changes():
        return
    table = CertificateName.__table__
    connection.execute(table.delete().where(table.c.certificate_id == cert.id))
    if cert.common_name:
        connection.execute(table.insert(), [_row(cert)])
