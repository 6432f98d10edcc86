"""network contact's weekly digest: opted in or not

Revision ID: 0015
Revises: 0014
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: Union[str, None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('person') as batch:
        batch.add_column(sa.Column('weekly_digest', sa.Boolean(), server_default='0',
                                   nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('person') as batch:
        batch.drop_column('weekly_digest')
