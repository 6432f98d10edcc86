"""mailbox addresses: a B-tree for the console's prefix search

The console's "^staff2" finds the certificates of mailboxes whose address starts so. The
unique index on the address serves a LIKE prefix only under the C collation; elsewhere
PostgreSQL took the trigram index, 1.3 ms a search at 330 000 addresses. With the
pattern operator class the prefix is a range of the B-tree: 0.03 ms (docs/performance.md,
eleventh round). On SQLite a plain index (as the trigram index there).

Revision ID: 0019
Revises: 0018
"""
from typing import Sequence, Union

from alembic import op

revision: str = '0019'
down_revision: Union[str, None] = '0018'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index('ix_mailbox_address_address_prefix', 'mailbox_address', ['address'],
                    postgresql_ops={'address': 'varchar_pattern_ops'})


def downgrade() -> None:
    op.drop_index('ix_mailbox_address_address_prefix', table_name='mailbox_address')
