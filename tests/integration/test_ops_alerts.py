"""Operations alerts reach the RA admins through the outbox, signed, once per incident: a
dead outbox message, a silent job runner, a CRL close to its nextUpdate."""

from __future__ import annotations

import email
from email import policy

import pytest
from sqlmodel import select

from ra_console.adapters.heartbeat import beat
from ra_console.adapters.outbox import enqueue
from ra_console.models import OutboxMessage

OPS = "ra-ops@uni.example.org"


@pytest.fixture
def config_overrides(smtp_config):
    # one attempt makes a message dead at once; a long refresh interval stands for a
    # runner whose re-signing of the CRL fails
    return {**smtp_config, "alerts.recipients": [OPS], "jobs.max_attempts": 1,
            "pki.crl_refresh_hours": 10_000}


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
