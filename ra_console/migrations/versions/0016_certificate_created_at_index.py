"""certificate list newest first: an index on certificate.created_at

The console's certificate list sorts by creation time; without an index PostgreSQL sorted a
million rows for every page (340 ms at 1 M certificates; docs/performance.md).

Revision ID: 0016
Revises: 0015
"""
from typing import Sequence, Union

from alembic import op

revision: str = '0016'
down_revision: Union[str, None] = '0015'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index('ix_certificate_created_at', 'certificate', ['created_at'])


def downgrade() -> None:
    op.drop_index('ix_certificate_created_at', table_name='certificate')
