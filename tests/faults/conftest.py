"""Fault tests run on PostgreSQL only: what they exercise (SKIP LOCKED claims, the advisory
lock of the leading job runner, server restarts) does not exist on SQLite."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # for runner_support


@pytest.fixture
def db_url(postgresql_url):
    return postgresql_url
