"""Migration 0007: challenges made before it learn their mailbox row and address, and
outlive their alias afterwards (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import command
from sqlalchemy import text

from ra_console.adapters.migrate import alembic_config
from ra_console.core.db import make_engine


def migrate(engine, target: str) -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, target)


def holder_at(engine, revision: str) -> tuple[dict[str, sa.Table], int, int]:
    """The schema as `revision` left it (its tables, reflected), with a person and their
    verified personal mailbox in it: (tables, person id, mailbox id)."""
    migrate(engine, revision)
    tables = sa.MetaData()
    tables.reflect(engine)
    with engine.begin() as connection:
        owner = insert(connection, tables.tables["person"], username="erika")
        mailbox = insert(connection, tables.tables["mailbox"], owner_id=owner,
                         kind="personal", source="idm", status="verified")
    return tables.tables, owner, mailbox


def insert(connection, table: sa.Table, **values) -> int:
    """A row as the schema of that time takes it: every required column filled."""
    now = datetime.now(timezone.utc)
    for column in table.columns:
        if column.name in values or column.nullable or column.primary_key \
                or column.server_default is not None:
            continue
        python_type = getattr(column.type, "python_type", str)
        values[column.name] = {int: 0, bool: False, datetime: now, dict: {}, list: []}.get(
            python_type, f"{column.name}-{table.name}")
    return connection.execute(table.insert().values(**values)).inserted_primary_key[0]


def test_old_challenges_are_backfilled_and_outlive_their_alias(db_url):
    engine = make_engine(db_url)
    migrate(engine, "0006")
    tables = sa.MetaData()
    tables.reflect(engine)
    value, now = "erika@itc.uni.example.org", datetime.now(timezone.utc)
    with engine.begin() as connection:  # a person, an address and a challenge as 0006 had them
        owner = insert(connection, tables.tables["person"], username="erika")
        mailbox_id = insert(connection, tables.tables["mailbox"], owner_id=owner,
                            kind="personal", source="institute", status="pending_challenge")
        address_id = insert(connection, tables.tables["mailbox_address"], mailbox_id=mailbox_id,
                            address=value, is_primary=True)
        connection.execute(text(
            "INSERT INTO challenge (public_id, address_id, person_id, nonce, token_hash, "
            "created_at, expires_at) VALUES ('c-old', :address, :person, 'n', 'h', :now, :now)"),
            {"address": address_id, "person": owner, "now": now})
    migrate(engine, "head")
    with engine.begin() as connection:
        row = connection.execute(text(
            "SELECT mailbox_id, address FROM challenge WHERE public_id = 'c-old'")).one()
        assert tuple(row) == (mailbox_id, value)
        connection.execute(text("DELETE FROM mailbox_address WHERE id = :id"), {"id": address_id})
        kept = connection.execute(text(
            "SELECT address_id, address FROM challenge WHERE public_id = 'c-old'")).one()
        assert tuple(kept) == (None, value)
    engine.dispose()
