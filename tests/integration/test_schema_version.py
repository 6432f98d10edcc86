"""The readiness check's reading of the migrations (adapters/schema_version.py, without
Alembic) gives Alembic's own answer at every revision, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command

from ra_console.adapters import migrate, schema_version
from ra_console.core.db import make_engine


def test_the_same_pending_revisions_as_alembic_at_every_step(db_url):
    engine = make_engine(db_url)
    chain = schema_version.revisions()
    assert [rev for rev, _message in chain] == [
        rev.revision for rev in reversed(list(
            migrate._script_directory().walk_revisions("base", "heads")))]
    config = migrate.alembic_config(engine.url.render_as_string(hide_password=False))
    try:
        for target in [None, *(rev for rev, _message in chain)]:
            if target:
                with engine.begin() as connection:
                    config.attributes["connection"] = connection
                    command.upgrade(config, target)
            with engine.connect() as connection:
                expected = migrate.pending(connection)
                assert schema_version.pending(connection) == expected, target
                assert len(expected) == len(chain) - (
                    [rev for rev, _m in chain].index(target) + 1 if target else 0)
    finally:
        engine.dispose()
