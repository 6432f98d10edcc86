"""Operations alerts reach the RA admins through the outbox, signed, once per incident: a
dead outbox message, a silent job runner, a CRL close to its nextUpdate. When every runner
is silent, a web process mails that alert itself (nobody drains the outbox)."""

from __future__ import annotations

import email
import threading
from email import policy

import pytest
from sqlmodel import select

from ra_console.adapters.heartbeat import beat
from ra_console.adapters.outbox import enqueue
from ra_console.jobs.alerts import alert_silent_runners_directly
from ra_console.models import OutboxMessage

OPS = "ra-ops@uni.example.org"


@pytest.fixture
def config_overrides(smtp_config):
    # one attempt makes a message dead at once; a long refresh interval stands for a
    # runner whose re-signing of the CRL fails
    return {**smtp_config, "alerts.recipients": [OPS], "jobs.max_attempts": 1,
            "pki.crl_refresh_hours": 10_000, "alerts.web_check_seconds": 60}


def _mails(inbox) -> list[email.message.Message]:
    return [email.message_from_bytes(content, policy=policy.default)
            for _to, content in inbox.messages]


def _alerts(runtime, template: str) -> list[OutboxMessage]:
    with runtime.session() as s:
        return [m for m in s.exec(select(OutboxMessage).where(
            OutboxMessage.kind == "mail.admin_alert")) if m.payload["template"] == template]


def _break_a_message(runtime) -> int:
    """A mail about a certificate that does not exist: its handler fails."""
    with runtime.session() as s:
        message = enqueue(s, "mail", {"certificate": "no-such-request",
                                      "template": "certificate_issued"}, "broken:1")
        s.commit()
        return message.id


def test_a_dead_message_is_mailed_once_signed(seeded, run_jobs, smtp):
    broken = _break_a_message(seeded)
    run_jobs()  # the message dies; its alert is queued
    run_jobs()  # the alert goes out
    run_jobs()
    [mail] = _mails(smtp)
    assert smtp.messages[0][0] == [OPS]
    assert mail["Subject"] == (f"[RA-Portal] Outbox message {broken} (mail) failed for good"
                               f" / [RA-Portal] Outbox-Nachricht {broken} (mail) endgültig "
                               "gescheitert")
    assert mail.get_content_type() == "multipart/signed"
    assert "LookupError: certificate no-such-request not found" in mail.as_string()
    [alert] = _alerts(seeded, "outbox_dead")
    assert alert.state == "done"


def test_a_dead_alert_raises_no_alert_of_its_own(seeded, run_jobs, mail_sink):
    """SMTP down: the alert about a dead message dies too; no chain of alerts follows."""
    _break_a_message(seeded)
    for _ in range(4):
        run_jobs()
    [alert] = _alerts(seeded, "outbox_dead")
    assert alert.state == "dead" and "Connection refused" in alert.last_error
    assert mail_sink.messages == []


def test_a_silent_runner_is_mailed_once_per_silence(seeded, run_jobs, clock, smtp):
    minutes = seeded.config["alerts.runner_silent_minutes"]
    beat(seeded, "ra1:4242", leader=True)
    clock.advance(minutes=minutes - 1)
    run_jobs()
    assert _alerts(seeded, "runner_silent") == []  # not silent long enough
    clock.advance(minutes=2)
    run_jobs()
    run_jobs()
    assert [m["Subject"] for m in _mails(smtp)] == [
        f"[RA-Portal] Job runner ra1:4242 silent for {minutes + 1} minutes / "
        f"[RA-Portal] Job-Runner ra1:4242 seit {minutes + 1} Minuten still"]
    beat(seeded, "ra1:4242", leader=True)  # it came back ...
    clock.advance(minutes=minutes + 1)  # ... and fell silent again: a new incident
    run_jobs()
    run_jobs()
    assert len(_alerts(seeded, "runner_silent")) == 2 and len(smtp.messages) == 2


def test_a_crl_near_its_expiry_is_mailed_once(seeded, run_jobs, clock, smtp):
    # the test CA's CRLs were signed at START with 7 days of validity
    clock.advance(days=7, hours=-seeded.config["alerts.crl_expiry_hours"] - 1)
    run_jobs()
    assert _alerts(seeded, "crl_expiring") == []
    clock.advance(hours=2)
    run_jobs()
    run_jobs()
    subjects = sorted(m["Subject"] for m in _mails(smtp))
    assert subjects == [
        "[RA-Portal] CRL issuing.crl expires in 71 hours / "
        "[RA-Portal] Sperrliste issuing.crl läuft in 71 Stunden ab",
        "[RA-Portal] CRL root.crl expires in 71 hours / "
        "[RA-Portal] Sperrliste root.crl läuft in 71 Stunden ab"]
    clock.advance(hours=1)
    run_jobs()
    run_jobs()
    assert len(smtp.messages) == 2  # once per CRL, not every sweep


def _web_request(app) -> None:
    """Any request; then wait for the runner check it started in the background."""
    assert app.test_client().get("/healthz/live").status_code == 200
    for thread in threading.enumerate():
        if thread.name == "runner-watch":
            thread.join(timeout=120)


def test_every_runner_silent_a_web_request_mails_it_once(app, seeded, run_jobs, clock, smtp):
    minutes = seeded.config["alerts.runner_silent_minutes"]
    beat(seeded, "ra1:4242", leader=True)  # the only runner, then it dies
    clock.advance(minutes=minutes - 1)
    _web_request(app)
    assert smtp.messages == []  # not silent long enough
    clock.advance(minutes=2)
    app.extensions["ra_runner_watch"].next = 0.0  # the next minute has come
    _web_request(app)
    [mail] = _mails(smtp)
    assert smtp.messages[0][0] == [OPS]
    assert mail["Subject"] == (f"[RA-Portal] Job runner ra1:4242 silent for {minutes + 1} "
                               f"minutes / [RA-Portal] Job-Runner ra1:4242 seit "
                               f"{minutes + 1} Minuten still")
    assert mail.get_content_type() == "multipart/signed"
    [alert] = _alerts(seeded, "runner_silent")
    assert alert.state == "done"
    _web_request(app)  # within the minute: no check
    with app.app_context():  # another web process: claimed already
        assert alert_silent_runners_directly(seeded) == 0
    run_jobs()  # the runner is restarted: its own sweep finds the incident alerted
    run_jobs()
    assert len(smtp.messages) == 1


def test_a_live_runner_alerts_through_the_outbox_not_the_web(app, seeded, clock, smtp):
    beat(seeded, "ra1:4242", leader=True)
    clock.advance(minutes=seeded.config["alerts.runner_silent_minutes"] + 1)
    beat(seeded, "ra2:4343", leader=False)  # the standby lives and will alert
    _web_request(app)
    assert smtp.messages == [] and _alerts(seeded, "runner_silent") == []


def test_smtp_down_leaves_the_web_alert_to_the_runner(app, seeded, run_jobs, clock,
                                                      mail_sink):
    beat(seeded, "ra1:4242", leader=True)
    clock.advance(minutes=seeded.config["alerts.runner_silent_minutes"] + 1)
    _web_request(app)
    [alert] = _alerts(seeded, "runner_silent")
    assert alert.state == "pending" and "Connection refused" in alert.last_error
    mail_sink.start()
    run_jobs()  # a runner is back: it sends the pending alert
    assert len(mail_sink.messages) == 1 and _alerts(seeded, "runner_silent")[0].state == "done"
