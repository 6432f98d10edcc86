"""search and sweep indexes (bench/run, docs/performance.md)

Trigram (GIN) indexes on PostgreSQL for the console's substring searches over a million
certificates (Flask-Admin searches with ILIKE '%term%'; `^term` is a prefix), a composite
index for "issued and expiring before X" (dashboard, expiry and reminder sweeps) and an
index on issued_at (dashboard histogram). On SQLite the same names are plain indexes.

Revision ID: 0006
Revises: 0005
"""
from typing import Sequence, Union

from alembic import op

revision: str = '0006'
down_revision: Union[str, None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TRIGRAM = [  # (index, table, column)
    ("ix_certificate_common_name_trgm", "certificate", "common_name"),
    ("ix_certificate_serial_trgm", "certificate", "serial"),
    ("ix_certificate_spki_sha256_trgm", "certificate", "spki_sha256"),
    ("ix_certificate_public_id_trgm", "certificate", "public_id"),
    ("ix_mailbox_address_address_trgm", "mailbox_address", "address"),
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in TRIGRAM:
        op.create_index(name, table, [column], unique=False, postgresql_using="gin",
                        postgresql_ops={column: "gin_trgm_ops"})
    op.create_index("ix_certificate_status_not_after", "certificate", ["status", "not_after"],
                    unique=False)
    op.create_index("ix_certificate_issued_at", "certificate", ["issued_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_certificate_issued_at", table_name="certificate")
    op.drop_index("ix_certificate_status_not_after", table_name="certificate")
    for name, table, _column in reversed(TRIGRAM):
        op.drop_index(name, table_name=table)
