"""APScheduler: the sweeps on an interval, in their own process (or a demo thread)."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from .sweeps import SWEEPS

log = logging.getLogger(__name__)


def _wrap(app, sweep):
    def run():
        with app.app_context():
            try:
                sweep(app.extensions["ra_runtime"])
            except Exception:  # noqa: BLE001 - a failed sweep must not stop the runner
                log.exception("sweep %s failed", sweep.__name__)
    return run


def build_scheduler(app, *, background: bool):
    interval = app.extensions["ra_runtime"].config["jobs.interval_seconds"]
    scheduler = BackgroundScheduler() if background else BlockingScheduler()
    for name, sweep in SWEEPS.items():
        # max_instances=1 and coalesce: a slow sweep is never run twice at once
        scheduler.add_job(_wrap(app, sweep), "interval", seconds=interval, id=name,
                          max_instances=1, coalesce=True)
    return scheduler
