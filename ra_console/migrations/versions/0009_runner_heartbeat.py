"""job runners' heartbeats (/healthz/ready, /metrics)

Revision ID: 0009
Revises: 0008
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: Union[str, None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('runner_heartbeat',
    sa.Column('runner', sa.String(length=200), nullable=False),
    sa.Column('leader', sa.Boolean(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('runner')
    )


def downgrade() -> None:
    op.drop_table('runner_heartbeat')
