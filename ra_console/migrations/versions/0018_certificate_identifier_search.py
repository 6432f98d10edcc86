"""certificate_identifier: the console's search by serial, fingerprint and id, off the
certificate table

Issuing a certificate changes indexed columns of its row, so PostgreSQL writes a new entry
into every index of `certificate`; four of them were trigram GIN indexes for the console's
substring search (docs/performance.md, tenth round). The reference id, key fingerprint and
serial move to a narrow table written once per value (models/certificate_identifier.py),
names are searched in certificate_name (0012) only, and the certificate table keeps the
indexes that pages and jobs need: the index on status alone goes (the one on status and
notAfter starts with it), the one on offboard_at holds only the scheduled revocations.

Revision ID: 0018
Revises: 0017
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0018'
down_revision: Union[str, None] = '0017'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

IDENTIFIERS = ("public_id", "spki_sha256", "serial")
TRIGRAM = ("common_name", "serial", "spki_sha256", "public_id")
OFFBOARDING = sa.text("offboard_at IS NOT NULL")


def upgrade() -> None:
    op.create_table(
        'certificate_identifier',
        sa.Column('certificate_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('value', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['certificate_id'], ['certificate.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('certificate_id', 'kind'),
    )
    for kind in IDENTIFIERS:  # the columns hold lower-case hex already: copied as they are
        op.execute(f"INSERT INTO certificate_identifier (certificate_id, kind, value) "
                   f"SELECT id, '{kind}', {kind} FROM certificate "
                   f"WHERE {kind} IS NOT NULL AND {kind} != ''")
    # after the backfill: one index build instead of three million index inserts
    op.create_index('ix_certificate_identifier_value_trgm', 'certificate_identifier',
                    ['value'], unique=False, postgresql_using='gin',
                    postgresql_ops={'value': 'gin_trgm_ops'})
    for column in TRIGRAM:
        op.drop_index(f"ix_certificate_{column}_trgm", table_name="certificate")
    op.drop_index("ix_certificate_status", table_name="certificate")
    op.drop_index("ix_certificate_offboard_at", table_name="certificate")
    op.create_index("ix_certificate_offboard_at", "certificate", ["offboard_at"],
                    postgresql_where=OFFBOARDING, sqlite_where=OFFBOARDING)


def downgrade() -> None:
    op.drop_index("ix_certificate_offboard_at", table_name="certificate")
    op.create_index("ix_certificate_offboard_at", "certificate", ["offboard_at"])
    op.create_index("ix_certificate_status", "certificate", ["status"])
    for column in TRIGRAM:
        op.create_index(f"ix_certificate_{column}_trgm", "certificate", [column],
                        postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"})
    op.drop_index('ix_certificate_identifier_value_trgm', table_name='certificate_identifier')
    op.drop_table('certificate_identifier')
