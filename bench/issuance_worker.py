#!/usr/bin/env python3
"""One job runner of the issuance phase (bench/run starts 1..N of them at once).

Loads the app, prints "ready", waits for a line on stdin, then drains the CA submissions
with the runner's own code (jobs.sweeps.drain_outbox; the mails they enqueue wait) until
none is left, and prints one JSON line: certificates handled, seconds, and the time inside pkilint and the local
CA's submit (timed in place). Configured by the RA_* environment of bench/run.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from ra_console.adapters.ca.local import LocalCA  # noqa: E402
from ra_console.app import create_app  # noqa: E402
from ra_console.jobs.sweeps import drain_outbox  # noqa: E402
from ra_console.usecases import issuance  # noqa: E402

spent = {"lint": 0.0, "ca_submit": 0.0}


def timed(name, function):
    def wrapper(*a, **kw):
        t0 = time.perf_counter()
        try:
            return function(*a, **kw)
        finally:
            spent[name] += time.perf_counter() - t0
    return wrapper


def main() -> int:
    issuance.lint_certificate = timed("lint", issuance.lint_certificate)
    LocalCA.submit = timed("ca_submit", LocalCA.submit)
    app = create_app()
    runtime = app.extensions["ra_runtime"]
    print("ready", flush=True)
    sys.stdin.readline()
    handled = 0
    with app.app_context():
        started = time.perf_counter()
        while True:
            with runtime.session() as s:
                left = s.execute(text("SELECT count(*) FROM outbox WHERE kind = 'ca.submit' "
                                      "AND state = 'pending'")).scalar()
            if not left:
                break
            done = drain_outbox(runtime, only_batched=True)  # the mails wait
            handled += done
            if not done:  # the rest is claimed by the other runners
                time.sleep(0.01)
        seconds = time.perf_counter() - started
    runtime.engine.dispose()
    print(json.dumps({"handled": handled, "seconds": seconds, "lint_seconds": spent["lint"],
                      "ca_submit_seconds": spent["ca_submit"]}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
