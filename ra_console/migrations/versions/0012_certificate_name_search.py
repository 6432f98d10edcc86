"""certificate_name: the console's name search (narrow rows, trigram index)

A lower-cased copy of each certificate's common name with its created_at, kept by the app
(models/certificate_name.py). The console's name search counts, ranks and pages in this
narrow table, kept in name order, instead of rechecking trigram matches against the wide
certificate rows (docs/performance.md). Backfilled here with the same normalisation as the app (Python's
str.lower, not SQL lower(): SQLite's lower() knows only ASCII).

Revision ID: 0012
Revises: 0011
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: Union[str, None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BATCH = 20000


def upgrade() -> None:
    bind = op.get_bind()
    table = op.create_table(
        'certificate_name',
        sa.Column('certificate_id', sa.Integer(), nullable=False),
        sa.Column('name_key', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['certificate_id'], ['certificate.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('certificate_id'),
    )
    _backfill(bind, table)
    # after the backfill: one index build instead of a million index inserts
    op.create_index('ix_certificate_name_key', 'certificate_name', ['name_key'], unique=False)
    if bind.dialect.name == "postgresql":
        # the rows of one name on a few pages instead of one page per certificate: the
        # trigram match is rechecked against the rows (docs/performance.md)
        op.execute("CLUSTER certificate_name USING ix_certificate_name_key")
        # pg_trgm is a trusted extension (PostgreSQL 13+); 0006 created it already
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_index('ix_certificate_name_key_trgm', 'certificate_name', ['name_key'],
                    unique=False, postgresql_using='gin',
                    postgresql_ops={'name_key': 'gin_trgm_ops'})


def _backfill(bind, table) -> None:
    certificate = sa.table('certificate', sa.column('id', sa.Integer),
                           sa.column('common_name', sa.String),
                           sa.column('created_at', sa.DateTime(timezone=True)))
    last = 0
    while True:  # keyset batches: memory stays flat at a million certificates
        rows = bind.execute(
            sa.select(certificate.c.id, certificate.c.common_name, certificate.c.created_at)
            .where(certificate.c.id > last, certificate.c.common_name.is_not(None),
                   certificate.c.common_name != '')
            .order_by(certificate.c.id).limit(BATCH)).all()
        if not rows:
            return
        bind.execute(table.insert(), [
            {"certificate_id": r.id, "name_key": r.common_name.lower(),
             "created_at": r.created_at} for r in rows])
        last = rows[-1].id


def downgrade() -> None:
    op.drop_index('ix_certificate_name_key_trgm', table_name='certificate_name')
    op.drop_index('ix_certificate_name_key', table_name='certificate_name')
    op.drop_table('certificate_name')
