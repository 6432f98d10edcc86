"""APScheduler: the sweeps on an interval, in their own process (or a demo thread)."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from ra_console.adapters.heartbeat import beat
from ra_console.jobs.sweeps import SWEEPS, run_sweep

log = logging.getLogger(__name__)


def _wrap(app, name: str):
    def run():
        with app.app_context():
            try:
                count = run_sweep(app.extensions["ra_runtime"], name)
                # INFO when the sweep did something; idle sweeps every few seconds would
                # drown the log
                log.log(logging.INFO if count else logging.DEBUG, "sweep %s: %s", name, count)
            except Exception:  # noqa: BLE001 - a failed sweep must not stop the runner
                log.exception("sweep %s failed", name)
    return run


LEADER_LOCK = 0x5241_4A4F  # "RAJO": the PostgreSQL advisory lock of the scheduling runner


def wait_for_leadership(engine, interval: int, on_standby=None):
    """On PostgreSQL, hold an advisory lock for the process's lifetime so that only one of
    several job runners schedules sweeps; the others wait as hot standbys. (Outbox claims
    use SKIP LOCKED anyway, so even two schedulers would not do work twice.)"""
    import time

    from sqlalchemy import text

    if engine.dialect.name != "postgresql":
        return None
    while True:
        connection = engine.connect()
        if connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LEADER_LOCK}).scalar():
            connection.commit()
            return LeaderLock(connection)
        connection.close()
        log.info("another job runner is active; standing by")
        if on_standby is not None:
            on_standby()
        time.sleep(interval)


class LeaderLock:
    """The held advisory lock; release() frees it (the pooled connection lives on)."""

    def __init__(self, connection):
        self.connection = connection

    def release(self) -> None:
        from sqlalchemy import text

        self.connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LEADER_LOCK})
        self.connection.commit()
        self.connection.close()


# Sweeps over the whole data set whose deadlines are days: jobs.lifecycle_interval_seconds.
LIFECYCLE_SWEEPS = ("send_expiry_reminders", "offboard_certificates", "expire_identities")


def _heartbeat(runtime, runner: str):
    def run():
        try:
            beat(runtime, runner, leader=True)
        except Exception:  # noqa: BLE001 - the database may be back at the next beat
            log.exception("heartbeat of %s failed", runner)
    return run


def build_scheduler(app, *, background: bool, runner: str | None = None):
    """The sweeps on their intervals, and, for a named runner, its heartbeat."""
    runtime = app.extensions["ra_runtime"]
    config = runtime.config
    scheduler = BackgroundScheduler() if background else BlockingScheduler()
    if runner is not None:
        scheduler.add_job(_heartbeat(runtime, runner), "interval", id="heartbeat",
                          seconds=config["jobs.interval_seconds"], max_instances=1,
                          coalesce=True)
    for name in SWEEPS:
        interval = config["jobs.lifecycle_interval_seconds" if name in LIFECYCLE_SWEEPS
                          else "jobs.interval_seconds"]
        # max_instances=1 and coalesce: a slow sweep is never run twice at once
        scheduler.add_job(_wrap(app, name), "interval", seconds=interval, id=name,
                          max_instances=1, coalesce=True)
    return scheduler
