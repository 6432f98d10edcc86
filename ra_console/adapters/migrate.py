"""Run and check the Alembic migrations from code (no alembic.ini needed)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import ra_console.models  # noqa: F401

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@cache
def _script_directory() -> ScriptDirectory:
    """The versions folder, parsed once per process."""
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def pending(connection) -> list[str]:
    """Revisions the database lacks, oldest first, each as "id: message"."""
    current = MigrationContext.configure(connection).get_current_heads()
    scripts = _script_directory()
    missing = list(scripts.iterate_revisions("heads", current or "base"))
    return [f"{rev.revision}: {rev.doc.splitlines()[0] if rev.doc else ''}".rstrip(": ")
            for rev in reversed(missing) if rev.revision not in current]


def upgrade(engine: Engine) -> list[str]:
    """Migrate to the newest revision; returns the revisions that ran ("id: message")."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        ran = pending(connection)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return ran


def revision(url: str, message: str) -> None:
    command.revision(alembic_config(url), message=message, autogenerate=True)


def differences(engine: Engine) -> list:
    """What the models have that the migrated database lacks (empty when they agree)."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)


def check(url: str) -> list:
    """Migrate a fresh database at `url` and compare it with the models."""
    engine = create_engine(url)
    try:
        upgrade(engine)
        return differences(engine)
    finally:
        engine.dispose()
