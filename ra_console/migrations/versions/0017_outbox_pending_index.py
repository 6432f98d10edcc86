"""outbox claims: indexes of the pending rows only

The job runners claim due rows of some kinds (CA submissions) or of all the other kinds,
oldest first. With the done rows kept (half a million in a year) PostgreSQL walked the
primary key past all of them for every claim: 54-139 ms per claim at 500 000 done rows
(docs/performance.md). Partial indexes on (kind, id) and (id) hold only the queue.

Revision ID: 0017
Revises: 0016
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0017'
down_revision: Union[str, None] = '0016'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

PENDING = sa.text("state = 'pending'")


def upgrade() -> None:
    op.create_index('ix_outbox_pending_kind', 'outbox', ['kind', 'id'],
                    postgresql_where=PENDING, sqlite_where=PENDING)
    op.create_index('ix_outbox_pending', 'outbox', ['id'], postgresql_where=PENDING,
                    sqlite_where=PENDING)


def downgrade() -> None:
    op.drop_index('ix_outbox_pending', table_name='outbox')
    op.drop_index('ix_outbox_pending_kind', table_name='outbox')
