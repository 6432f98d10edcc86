"""The web processes watch the job runners too. When every runner is silent (crashed,
hung, its machine down) nobody drains the outbox, so the alert about that cannot wait in
the outbox: each web process checks at most every `alerts.web_check_seconds`, after a
request (the load balancer's or the monitoring's /healthz/ready polling is enough), in a
thread of its own so that no request waits for the database or the SMTP server."""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask, current_app

from ra_console.jobs.alerts import alert_silent_runners_directly

log = logging.getLogger(__name__)


class _Due:
    """When this process checks next (per app: tests build many apps in one process)."""

    def __init__(self, every: float):
        self.every, self.next, self.lock = every, 0.0, threading.Lock()

    def take(self) -> bool:
        now = time.monotonic()
        with self.lock:
            if now < self.next:
                return False
            self.next = now + self.every
            return True


def _check(app: Flask) -> None:
    with app.app_context():
        try:
            alert_silent_runners_directly(app.extensions["ra_runtime"])
        except Exception:  # noqa: BLE001 - a failed check must not end the worker
            log.exception("checking the job runners' heartbeats failed")


def _after(response):
    if current_app.extensions["ra_runner_watch"].take():
        app = current_app._get_current_object()
        threading.Thread(target=_check, args=(app,), name="runner-watch", daemon=True).start()
    return response


def init_app(app: Flask, config: dict) -> None:
    if config["alerts.web_check_seconds"]:
        app.extensions["ra_runner_watch"] = _Due(config["alerts.web_check_seconds"])
        app.after_request(_after)
