"""Operations alerts to the RA admins, through the outbox like every mail: a dead outbox
message, a job runner gone silent, a local CRL close to its nextUpdate. Each incident is
mailed once: its dedupe key names the incident (the message, the runner's last heartbeat,
the CRL's nextUpdate), so the next sweep, or a second runner, finds it already queued.
When every runner is silent nobody drains the outbox: the web processes then mail that
alert themselves (alert_silent_runners_directly, called by jobs/runner_watch.py)."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import String, cast, exists, literal
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import select

from ra_console.adapters.health import crl_next_updates
from ra_console.adapters.outbox import enqueue
from ra_console.adapters.settings import safe_mode
from ra_console.core.db import aware
from ra_console.jobs.admin_mail import handle_admin_alert
from ra_console.models import OutboxMessage, RunnerHeartbeat

log = logging.getLogger(__name__)

ALERT = "mail.admin_alert"
DEAD_KEY = f"{ALERT}:outbox_dead:"
STAMP = "%Y-%m-%d %H:%M UTC"


def _alert(session, template: str, context: dict, path: str, incident: str) -> int:
    """Queue one alert unless this incident's is queued already; 1 when queued now."""
    key = f"{ALERT}:{template}:{incident}"
    if session.exec(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)).first():
        return 0
    enqueue(session, ALERT, {"template": template, "context": context, "path": path}, key)
    return 1


def newly_dead(session) -> list[OutboxMessage]:
    """Dead messages not alerted yet; dead alerts themselves are left out (their alert
    would go the same broken way, and one more would follow it)."""
    alert = aliased(OutboxMessage)
    key = literal(DEAD_KEY) + cast(OutboxMessage.id, String)
    return list(session.exec(select(OutboxMessage).where(
        OutboxMessage.state == "dead", OutboxMessage.kind != ALERT,
        ~exists().where(alert.dedupe_key == key)).order_by(OutboxMessage.id)))


def silent_runners(session, now, minutes: int) -> list[RunnerHeartbeat]:
    """Runners whose last heartbeat is older than `minutes` (a runner that stops cleanly
    deletes its row, so these died or hang)."""
    return list(session.exec(select(RunnerHeartbeat).where(
        RunnerHeartbeat.seen_at < now - timedelta(minutes=minutes))))


def _silence(runner: RunnerHeartbeat, now) -> tuple[dict, str, str]:
    """The runner_silent alert's context, console path and incident (the same for the
    runners' outbox alert and the web processes' direct one: one mail per silence)."""
    seen = aware(runner.seen_at)
    return ({"runner": runner.runner, "seen": seen.strftime(STAMP),
             "minutes": int((now - seen).total_seconds() // 60)},
            "/console/", f"{runner.runner}:{seen:%Y%m%dT%H%M%S}")


def alert_silent_runners_directly(runtime) -> int:
    """Every job runner silent: claim each silence's alert row (the dedupe key the runners
    use, stored as done, so that one web process among all of them and no runner sends
    it) and send the mail over SMTP now. Needs an app context. Returns mails sent."""
    config, now = runtime.config, runtime.now()
    minutes = config["alerts.runner_silent_minutes"]
    with runtime.session() as session:
        if safe_mode(session, config):  # a restored copy mails nobody
            return 0
        silent = silent_runners(session, now, minutes)
        beating = session.exec(select(RunnerHeartbeat.runner).where(
            RunnerHeartbeat.seen_at >= now - timedelta(minutes=minutes))).first()
        if not silent or beating is not None:  # a live runner alerts through the outbox
            return 0
        claims = [(runner.runner, *_silence(runner, now)) for runner in silent]
    sent = 0
    for name, context, path, incident in claims:
        with runtime.session() as session:
            message = OutboxMessage(
                kind=ALERT, dedupe_key=f"{ALERT}:runner_silent:{incident}", state="done",
                payload={"template": "runner_silent", "context": context, "path": path},
                next_attempt_at=now, created_at=now, done_at=now, attempts=1)
            session.add(message)
            try:
                session.commit()
            except IntegrityError:  # queued or claimed already
                continue
            try:
                handle_admin_alert(session, message)
            except Exception as exc:  # noqa: BLE001 - the runner sends it when it is back
                log.warning("alert about silent job runner %s not sent: %s", name, exc)
                message.state, message.last_error = "pending", f"{type(exc).__name__}: {exc}"
                session.commit()
                continue
            log.warning("job runner %s silent since %s: RA admins alerted", name,
                        context["seen"])
            sent += 1
    return sent


def send_ops_alerts(runtime) -> int:
    """Queue the alerts of new incidents; returns how many were queued."""
    config, now = runtime.config, runtime.now()
    with runtime.session() as session:
        queued = 0
        for message in newly_dead(session):
            queued += _alert(session, "outbox_dead", {
                "id": message.id, "kind": message.kind, "attempts": message.attempts,
                "error": (message.last_error or "-")[:300]},
                f"/console/outbox/details/?id={message.id}", str(message.id))
        for runner in silent_runners(session, now, config["alerts.runner_silent_minutes"]):
            queued += _alert(session, "runner_silent", *_silence(runner, now))
        hours = config["alerts.crl_expiry_hours"]
        for name, next_update in crl_next_updates(config["pki.local_ca_path"]).items():
            if next_update - now < timedelta(hours=hours):
                queued += _alert(session, "crl_expiring", {
                    "crl": f"{name}.crl", "next_update": next_update.strftime(STAMP),
                    "hours": max(0, int((next_update - now).total_seconds() // 3600))},
                    "/pki/", f"{name}:{next_update:%Y%m%dT%H%M%S}")
        session.commit()
    return queued
