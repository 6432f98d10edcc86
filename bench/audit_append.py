#!/usr/bin/env python3
"""Audit appends per second, one event per committed transaction (as a page or a job
writes them). Usage: .venv/bin/python bench/audit_append.py [N] [DB-URL]

Runs on a fresh database (default SQLite in a temporary folder; pass a PostgreSQL URL to
measure there) and reports the rate for each witness fsync policy the build knows."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from ra_console.adapters.audit_witness import Witness
from ra_console.adapters.migrate import upgrade
from ra_console.adapters.runtime import build_runtime
from ra_console.core.config import load_config
from ra_console.workflow.audit import append_event


def _rate(n: int, url: str | None, folder: Path, overrides: dict) -> float:
    config = load_config(environ={}, overrides={
        "instance_path": str(folder), "database_url": url or f"sqlite:///{folder / 'ra.sqlite'}",
        **overrides})
    runtime = build_runtime(config)
    upgrade(runtime.engine)
    if url:  # a PostgreSQL database is reused between runs: start from an empty chain
        with runtime.engine.begin() as connection:
            connection.execute(text("DELETE FROM audit_event"))
            connection.execute(text("UPDATE audit_head SET seq = 0, hash = :g"),
                               {"g": "0" * 64})
    started = time.perf_counter()
    for i in range(n):
        with runtime.session() as session:
            append_event(session, entity_type="person", entity_id=f"p{i}", trigger="login",
                         actor=f"user{i}", role="user", ip="192.0.2.1", data={"n": i})
            session.commit()
    elapsed = time.perf_counter() - started
    runtime.engine.dispose()
    return n / elapsed


def _witness_rate(n: int, fsync: bool) -> float:
    """The witness write alone (lock, read the last line, HMAC, append, flush)."""
    with tempfile.TemporaryDirectory() as folder:
        witness = Witness(Path(folder) / "w.log", b"k" * 32, fsync=fsync)
        started = time.perf_counter()
        for i in range(n):
            witness.record([(i + 1, "ab" * 32, "2026-11-02T09:00:00Z")])
        return n / (time.perf_counter() - started)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    url = sys.argv[2] if len(sys.argv) > 2 else None
    defaults = load_config(environ={}, overrides={"instance_path": tempfile.mkdtemp()})
    policies = ["never", "always"] if "audit.witness_fsync" in defaults else [None]
    for policy in policies:
        with tempfile.TemporaryDirectory() as folder:
            overrides = {} if policy is None else {"audit.witness_fsync": policy}
            rate = _rate(n, url, Path(folder), overrides)
        label = "no witness" if policy is None else f"witness fsync={policy}"
        print(f"{label}: {n} appends, {rate:.0f} appends/s ({url or 'SQLite'})")
        if policy is not None:
            alone = _witness_rate(n, policy == "always")
            print(f"  the witness write alone, fsync={policy}: {alone:.0f} lines/s")


if __name__ == "__main__":
    main()
