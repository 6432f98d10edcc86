"""APScheduler: the sweeps on an interval, in their own process (or a demo thread)."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from ra_console.jobs.sweeps import SWEEPS, run_sweep

log = logging.getLogger(__name__)


def _wrap(app, name: str):
    def run():
        with app.app_context():
            try:
                run_sweep(app.extensions["ra_runtime"], name)
            except Exception:  # noqa: BLE001 - a failed sweep must not stop the runner
                log.exception("sweep %s failed", name)
    return run


LEADER_LOCK = 0x5241_4A4F  # "RAJO": the PostgreSQL advisory lock of the scheduling runner


def wait_for_leadership(engine, interval: int):
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


def build_scheduler(app, *, background: bool):
    config = app.extensions["ra_runtime"].config
    scheduler = BackgroundScheduler() if background else BlockingScheduler()
    for name in SWEEPS:
        interval = config["jobs.lifecycle_interval_seconds" if name in LIFECYCLE_SWEEPS
                          else "jobs.interval_seconds"]
        # max_instances=1 and coalesce: a slow sweep is never run twice at once
        scheduler.add_job(_wrap(app, name), "interval", seconds=interval, id=name,
                          max_instances=1, coalesce=True)
    return scheduler
