"""APScheduler: the sweeps on an interval, in their own process (or a demo thread)."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

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


LEADER_LOCK = 0x5241_4A4F  # "RAJO": the PostgreSQL advisory lock of the leading runner

# Every runner drains the outbox (claims are SKIP LOCKED: each takes its own rows); the
# other sweeps go over whole tables and run on the leader only.
SHARED_SWEEPS = ("drain_outbox",)


class Leadership:
    """Whether this runner leads: on PostgreSQL it holds the advisory lock on a connection
    of its own for as long as it lives; on SQLite (one machine, one runner) it always leads."""

    def __init__(self, engine):
        self.engine = engine
        self.connection = None

    @property
    def leads(self) -> bool:
        return self.engine.dialect.name != "postgresql" or self.connection is not None

    def try_to_lead(self) -> bool:
        """Take the lock if it is free; a leader checks it still holds it (a database
        restart ends its session and with it the lock)."""
        if self.engine.dialect.name != "postgresql":
            return True
        if self.connection is not None and not self._still_held():
            self._drop()
        if self.connection is None:
            connection = self.engine.connect()
            if connection.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                  {"k": LEADER_LOCK}).scalar():
                connection.commit()
                self.connection = connection
            else:
                connection.close()
        return self.leads

    def _still_held(self) -> bool:
        try:
            held = self.connection.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND objid::bigint = :k AND pid = pg_backend_pid()"), {"k": LEADER_LOCK}).scalar()
            self.connection.commit()
            return bool(held)
        except DBAPIError:
            return False

    def _drop(self) -> None:
        try:
            self.connection.invalidate()
        finally:
            self.connection = None

    def release(self) -> None:
        if self.connection is None:
            return
        self.connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LEADER_LOCK})
        self.connection.commit()
        self.connection.close()
        self.connection = None


# Sweeps over the whole data set whose deadlines are days: jobs.lifecycle_interval_seconds.
LIFECYCLE_SWEEPS = ("send_expiry_reminders", "offboard_certificates", "expire_identities",
                    "send_weekly_digests", "remind_problem_reports")
# Each sweep's interval key, where it is not jobs.interval_seconds.
INTERVALS = {**{name: "jobs.lifecycle_interval_seconds" for name in LIFECYCLE_SWEEPS},
             "sync_ldap_persons": "ldap_sync.interval_seconds"}


def _heartbeat(runtime, runner: str, leadership: Leadership):
    def run():
        try:
            was_leading = leadership.leads
            if leadership.try_to_lead() and not was_leading:
                log.info("job runner %s leads: it runs every sweep", runner)
            beat(runtime, runner, leader=leadership.leads)
        except Exception:  # noqa: BLE001 - the database may be back at the next beat
            log.exception("heartbeat of %s failed", runner)
    return run


def _if_leading(leadership: Leadership, sweep):
    def run():
        if leadership.leads:
            sweep()
    return run


def build_scheduler(app, *, background: bool, runner: str | None = None,
                    leadership: Leadership | None = None):
    """The sweeps on their intervals, and, for a named runner, its heartbeat (which also
    takes over the lead when the leader is gone). Without either, every sweep runs."""
    runtime = app.extensions["ra_runtime"]
    config = runtime.config
    if runner is not None and leadership is None:
        leadership = Leadership(runtime.engine)
    scheduler = BackgroundScheduler() if background else BlockingScheduler()
    if runner is not None:
        scheduler.add_job(_heartbeat(runtime, runner, leadership), "interval", id="heartbeat",
                          seconds=config["jobs.interval_seconds"], max_instances=1,
                          coalesce=True)
    for name in SWEEPS:
        interval = config[INTERVALS.get(name, "jobs.interval_seconds")]
        job = _wrap(app, name)
        if leadership is not None and name not in SHARED_SWEEPS:
            job = _if_leading(leadership, job)
        # max_instances=1 and coalesce: a slow sweep is never run twice at once
        scheduler.add_job(job, "interval", seconds=interval, id=name, max_instances=1,
                          coalesce=True)
    return scheduler
