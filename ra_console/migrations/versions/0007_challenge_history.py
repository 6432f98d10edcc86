"""challenges outlive removed aliases

A challenge now names its mailbox row and the address it was sent to; its link to the
address row is SET NULL when the alias is removed, so removing a challenged alias no longer
fails on the foreign key (pentest finding 4) and the history stays.

Revision ID: 0007
Revises: 0006
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: Union[str, None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# PostgreSQL's default names; SQLite's unnamed constraints get the same ones in batch mode
NAMES = {"fk": "%(table_name)s_%(column_0_name)s_fkey"}
FROM_ADDRESS = "(SELECT {column} FROM mailbox_address WHERE mailbox_address.id = challenge.address_id)"


def upgrade() -> None:
    with op.batch_alter_table('challenge') as batch_op:
        batch_op.add_column(sa.Column('mailbox_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('address', sa.String(length=320), nullable=True))
    op.execute(f"UPDATE challenge SET mailbox_id = {FROM_ADDRESS.format(column='mailbox_id')}, "
               f"address = {FROM_ADDRESS.format(column='address')}")
    with op.batch_alter_table('challenge', naming_convention=NAMES) as batch_op:
        batch_op.alter_column('mailbox_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('address', existing_type=sa.String(length=320), nullable=False)
        batch_op.alter_column('address_id', existing_type=sa.Integer(), nullable=True)
        batch_op.drop_constraint('challenge_address_id_fkey', type_='foreignkey')
        batch_op.create_foreign_key('challenge_address_id_fkey', 'mailbox_address',
                                    ['address_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key('challenge_mailbox_id_fkey', 'mailbox', ['mailbox_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_challenge_mailbox_id'), ['mailbox_id'], unique=False)


def downgrade() -> None:
    op.execute("DELETE FROM challenge WHERE address_id IS NULL")  # their alias is gone
    with op.batch_alter_table('challenge', naming_convention=NAMES) as batch_op:
        batch_op.drop_index(batch_op.f('ix_challenge_mailbox_id'))
        batch_op.drop_constraint('challenge_mailbox_id_fkey', type_='foreignkey')
        batch_op.drop_constraint('challenge_address_id_fkey', type_='foreignkey')
        batch_op.create_foreign_key('challenge_address_id_fkey', 'mailbox_address',
                                    ['address_id'], ['id'])
        batch_op.alter_column('address_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('address')
        batch_op.drop_column('mailbox_id')
