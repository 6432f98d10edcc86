"""Fault tests run on PostgreSQL only: what they exercise (SKIP LOCKED claims, the advisory
lock of the leading job runner, server restarts) does not exist on SQLite."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

sys.path.insert(0, str(Path(__file__).parent))  # for runner_support


@pytest.fixture
def db_url(pg_url):
    url, problem = pg_url
    if url is None:
        if os.environ.get("CI") == "true" or os.environ.get("RA_REQUIRE_ALL") == "1":
            pytest.fail(f"PostgreSQL is required under CI ({problem})")
        pytest.skip(f"PostgreSQL not available ({problem})")
    engine = create_engine(url)
    SQLModel.metadata.drop_all(engine)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
    yield url
