"""identity feed (person's IdM state) and SCIM clients

Revision ID: 0011
Revises: 0010
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: Union[str, None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('person') as batch:
        batch.add_column(sa.Column('external_id', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('idm_emails', sa.String(length=2000), server_default='',
                                   nullable=False))
        batch.add_column(sa.Column('idm_active', sa.Boolean(), server_default='1',
                                   nullable=True))
        batch.add_column(sa.Column('idm_version', sa.Integer(), server_default='1',
                                   nullable=False))
        batch.add_column(sa.Column('idm_updated_at', sa.DateTime(timezone=True),
                                   nullable=True))
        batch.add_column(sa.Column('idm_removed_at', sa.DateTime(timezone=True),
                                   nullable=True))
    # an index, not a constraint: SQLite would rebuild the referenced person table
    op.create_index('ix_person_external_id', 'person', ['external_id'], unique=True)
    op.create_table('scim_client',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rotated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_index('ix_scim_client_token_hash', 'scim_client', ['token_hash'], unique=True)


def downgrade() -> None:
    op.drop_index('ix_scim_client_token_hash', table_name='scim_client')
    op.drop_table('scim_client')
    op.drop_index('ix_person_external_id', table_name='person')
    with op.batch_alter_table('person') as batch:
        for column in ('idm_removed_at', 'idm_updated_at', 'idm_version', 'idm_active',
                       'idm_emails', 'external_id'):
            batch.drop_column(column)
