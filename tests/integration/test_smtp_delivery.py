"""Mail from the outbox reaches a real SMTP server (aiosmtpd on loopback), exactly once."""

from __future__ import annotations

import email
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from ra_console.models import OutboxMessage


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PORT = free_port()


@pytest.fixture
def config_overrides():
    return {"mail.catcher": False, "mail.server": "127.0.0.1", "mail.port": PORT}


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=PORT)
    controller.start()
    yield inbox
    controller.stop()


def request_and_send(browser, new_csr):
    import io
    import re

    browser.login("erika")
    page = browser.get("/certificates/new").get_data(as_text=True)
    mailbox = re.search(r'name="mailbox" value="([^"]+)"', page).group(1)
    created = browser.submit("/certificates/new", {
        "mailbox": mailbox, "consent_name_and_mailbox": "y", "consent_data_processing": "y",
        "consent_directory_publication": "y", "csr_file": (io.BytesIO(new_csr()[1]), "r.csr"),
    }, content_type="multipart/form-data")
    browser.submit(created.headers["Location"] + "/submit")


def subjects(inbox) -> list[str]:
    return sorted(email.message_from_bytes(content, policy=policy.default)["Subject"]
                  for _to, content in inbox.messages)


def test_issued_mail_arrives_once(browser, run_jobs, new_csr, runtime, smtp):
    request_and_send(browser, new_csr)
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


def test_smtp_down_then_up_delivers_once(browser, run_jobs, new_csr, runtime, clock):
    """No server listening: the mails wait and are retried; later each arrives once."""
    from datetime import timedelta

    request_and_send(browser, new_csr)
    run_jobs()
    with runtime.session() as s:
        mails = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "mail")).all()
        # the "received" mail was tried and failed; the "issued" one was queued meanwhile
        assert {m.state for m in mails} == {"pending"} and len(mails) == 2
        tried = [m for m in mails if m.attempts]
        assert tried and all("Connection refused" in m.last_error for m in tried)
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=PORT)
    controller.start()
    try:
        run_jobs()  # the failed one waits for its backoff; the untried one goes now
        assert len(inbox.messages) == 1
        clock.advance(seconds=runtime.config["jobs.backoff_seconds"])
        run_jobs()
        run_jobs()
    finally:
        controller.stop()
    assert len(subjects(inbox)) == 2
    with runtime.session() as s:
        assert {m.state for m in s.exec(select(OutboxMessage))} == {"done"}
