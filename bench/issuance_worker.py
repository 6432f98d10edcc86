#!/usr/bin/env python3
"""One job runner of the issuance phase (bench/run starts 1..N of them at once).

Loads the app, prints "ready", waits for a line on stdin, then drains the CA submissions
with the runner's own code (jobs.sweeps.drain_outbox; the mails they enqueue wait) until
none is left, and prints one JSON line: certificates handled, wall seconds, the runner
process's CPU seconds (time.process_time), the CPU seconds of its PostgreSQL backends
(/proc/<pid>/stat of every connection it opened, when the server runs on this machine),
the SQL statements it sent, and the time inside pkilint and the local CA's submit (timed
in place). Configured by the RA_* environment of bench/run.

    BENCH_PROFILE=/tmp/issuance.prof  also writes a cProfile of the drain (pstats file)
"""

from __future__ import annotations

import cProfile
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, text  # noqa: E402

from ra_console.adapters.ca.local import LocalCA  # noqa: E402
from ra_console.app import create_app  # noqa: E402
from ra_console.jobs.sweeps import drain_outbox  # noqa: E402
from ra_console.usecases import issuance  # noqa: E402

spent = {"lint": 0.0, "ca_submit": 0.0, "lint_cpu": 0.0, "ca_submit_cpu": 0.0}
TICK = os.sysconf("SC_CLK_TCK")


def timed(name, function):
    def wrapper(*a, **kw):
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            return function(*a, **kw)
        finally:
            spent[name] += time.perf_counter() - t0
            spent[name + "_cpu"] += time.process_time() - c0
    return wrapper


def backend_cpu(pids: set[int]) -> float:
    """CPU seconds (user + system) the PostgreSQL backends `pids` have used so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # another machine, or the connection is gone
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (after pid and comm)
    return total / TICK


def main() -> int:
    issuance.lint_certificate = timed("lint", issuance.lint_certificate)
    LocalCA.submit = timed("ca_submit", LocalCA.submit)
    app = create_app()
    runtime = app.extensions["ra_runtime"]
    backends: set[int] = set()
    statements = [0]

    @event.listens_for(runtime.engine, "connect")
    def remember_backend(dbapi_connection, record):
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backends.add(cursor.fetchone()[0])

    @event.listens_for(runtime.engine, "before_cursor_execute")
    def count(*args):
        statements[0] += 1

    def pending() -> int:
        with runtime.session() as s:
            return s.execute(text("SELECT count(*) FROM outbox WHERE kind = 'ca.submit' "
                                  "AND state = 'pending'")).scalar()

    pending()  # the pool's first connection, before the clocks start
    print("ready", flush=True)
    sys.stdin.readline()
    handled = 0
    profile = cProfile.Profile() if os.environ.get("BENCH_PROFILE") else None
    with app.app_context():
        db_cpu0, cpu0, started = backend_cpu(backends), time.process_time(), \
            time.perf_counter()
        statements[0] = 0
        while pending():
            if profile:
                profile.enable()
            done = drain_outbox(runtime, only_batched=True)  # the mails wait
            if profile:
                profile.disable()
            handled += done
            if not done:  # the rest is claimed by the other runners
                time.sleep(0.01)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu0
        db_cpu = backend_cpu(backends) - db_cpu0
    runtime.engine.dispose()
    if profile:
        profile.dump_stats(os.environ["BENCH_PROFILE"])
    print(json.dumps({"handled": handled, "seconds": seconds, "cpu_seconds": cpu,
                      "db_cpu_seconds": db_cpu, "statements": statements[0],
                      "lint_seconds": spent["lint"], "ca_submit_seconds": spent["ca_submit"],
                      "lint_cpu_seconds": spent["lint_cpu"],
                      "ca_submit_cpu_seconds": spent["ca_submit_cpu"]}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
