"""Migration 0007: challenges made before it learn their mailbox row and address, and
outlive their alias afterwards (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timezone

from alembic import command
from sqlalchemy import text
from sqlmodel import Session, select

from ra_console.adapters.migrate import alembic_config
from ra_console.core.db import make_engine
from ra_console.models import Mailbox, MailboxAddress
from ra_console.usecases.demo import seed_demo


def migrate(engine, target: str) -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, target)


def test_old_challenges_are_backfilled_and_outlive_their_alias(db_url):
    engine = make_engine(db_url)
    migrate(engine, "0006")
    with Session(engine) as s:  # people and addresses: tables 0007 leaves alone
        seed_demo(s, idm_domains=["uni.example.org"], now=datetime.now(timezone.utc))
        s.commit()
        address = s.exec(select(MailboxAddress)).first()
        mailbox_id, address_id, value = address.mailbox_id, address.id, address.address
        owner = s.get(Mailbox, mailbox_id).owner_id
    now = datetime.now(timezone.utc)
    with engine.begin() as connection:  # a challenge as 0006 stored it
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
