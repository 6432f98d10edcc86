"""Mail from the outbox reaches a real SMTP server (aiosmtpd on loopback), exactly once."""

from __future__ import annotations

import email
from email import policy

import pytest
from sqlmodel import select

from ra_console.models import OutboxMessage


@pytest.fixture
def config_overrides(smtp_config):
    return smtp_config


def subjects(inbox) -> list[str]:
    return sorted(email.message_from_bytes(content, policy=policy.default)["Subject"]
                  for _to, content in inbox.messages)


def test_issued_mail_arrives_once(request_certificate, run_jobs, runtime, smtp):
    request_certificate()
    run_jobs()
    run_jobs()  # a second sweep sends nothing again
    found = subjects(smtp)
    assert len(found) == 2
    assert any("Certificate issued" in s for s in found)
    # both languages (the person's is unknown), folded and unfolded without damage
    assert ("[RA-Portal] Zertifikat ausgestellt für erika.mustermann@uni.example.org / "
            "[RA-Portal] Certificate issued for erika.mustermann@uni.example.org") in found
    assert any("request received" in s for s in found)
    assert all(to == ["erika.mustermann@uni.example.org"] for to, _ in smtp.messages)
    with runtime.session() as s:
        assert {m.state for m in s.exec(select(OutboxMessage))} == {"done"}


def test_smtp_down_then_up_delivers_once(request_certificate, run_jobs, runtime, clock,
                                        mail_sink):
    """No server listening: the mails wait and are retried; later each arrives once."""

    request_certificate()
    run_jobs()
    with runtime.session() as s:
        mails = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "mail")).all()
        # the "received" mail was tried and failed; the "issued" one was queued meanwhile
        assert {m.state for m in mails} == {"pending"} and len(mails) == 2
        tried = [m for m in mails if m.attempts]
        assert tried and all("Connection refused" in m.last_error for m in tried)
    mail_sink.start()
    run_jobs()  # the failed one waits for its backoff; the untried one goes now
    assert len(mail_sink.messages) == 1
    clock.advance(seconds=runtime.config["jobs.backoff_seconds"])
    run_jobs()
    run_jobs()
    assert len(subjects(mail_sink)) == 2
    with runtime.session() as s:
        assert {m.state for m in s.exec(select(OutboxMessage))} == {"done"}
