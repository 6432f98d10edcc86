"""The network contacts' weekly digest (issue 12, item 5): ordered on the console start
page, queued by the job runner once per person and week, sent through the outbox to a
real SMTP server (aiosmtpd), S/MIME-signed (openssl verifies it against the test CA), in
the language of the page it was ordered on, with the start page's figures."""

from __future__ import annotations

import email
import re
import shutil
import subprocess
from email import policy
from pathlib import Path

import pytest
from sqlmodel import select
from support import institute_address

from ra_console.models import AuditEvent, OutboxMessage, Person

WAITING = "max.muster@itc.uni.example.org"
NORA = "nora.netz@uni.example.org"  # nk-itc
PAUL = "paul.physik@uni.example.org"  # nk-phys


@pytest.fixture
def config_overrides(smtp_config):
    return smtp_config


@pytest.fixture
def openssl() -> str:
    path = shutil.which("openssl")
    assert path, "openssl is needed to judge the signature"
    return path


def order(browser, who: str, lang: str, choice: str = "on"):
    browser.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
    browser.login(who)
    response = browser.submit("/console/", {"weekly_digest": choice},
                              action="/console/digest", follow_redirects=True)
    assert response.status_code == 200
    browser.logout()
    return response.get_data(as_text=True)


def digests(runtime, run_jobs, smtp) -> list[tuple[list[str], bytes]]:
    """Run the job sweeps; the digests the SMTP server has received so far (the challenge
    mails go to the addresses being confirmed, never to a network contact)."""
    run_jobs()  # the digest sweep runs after the outbox: queued now...
    run_jobs()  # ...sent now
    return [(to, raw) for to, raw in smtp.messages if to[0] in (NORA, PAUL)]


def verified_text(openssl, runtime, raw: bytes, tmp_path: Path) -> str:
    """The signed body as openssl sees it after checking the signature and the chain up
    to the test CA's root (fails on a bad or missing signature)."""
    (tmp_path / "mail.eml").write_bytes(raw)
    root = Path(runtime.config["pki.local_ca_path"]) / "root.crt"
    result = subprocess.run(
        [openssl, "cms", "-verify", "-in", str(tmp_path / "mail.eml"), "-CAfile", str(root)],
        capture_output=True, check=False)
    assert result.returncode == 0, result.stderr.decode()
    assert b"Verification successful" in result.stderr
    text = email.message_from_bytes(result.stdout, policy=policy.default)
    return text.get_content() if not text.is_multipart() else result.stdout.decode()


def test_ordered_digest_arrives_signed_once_a_week_in_each_language(
        browser, runtime, run_jobs, smtp, openssl, tmp_path, clock):
    page = order(browser, "nk-itc", "de")
    assert "Sie erhalten die Wochenübersicht jetzt per E-Mail." in page
    assert 'value="off"' in page  # the form now offers to stop it
    order(browser, "nk-phys", "en")
    institute_address(runtime, "max", WAITING, confirm=False)
    clock.advance(days=9)  # the challenge now waits for more than a week
    received = digests(runtime, run_jobs, smtp)
    assert sorted(to for to, _ in received) == [[NORA], [PAUL]]
    by_recipient = {to[0]: raw for to, raw in received}

    german = email.message_from_bytes(by_recipient[NORA], policy=policy.default)
    assert german["Subject"].startswith("[RA-Portal] Wochenübersicht 20")
    assert german.get_content_type() == "multipart/signed"
    body = verified_text(openssl, runtime, by_recipient[NORA], tmp_path)
    assert "IT Center" in body or "ITC" in body
    assert "Adressen, die auf Bestätigung warten: 1 (die älteste seit" in body
    assert "9 Tage" in body
    assert "davon seit über einer Woche unbeantwortet: 1" in body
    assert "Zertifikate, die in 30 Tagen ablaufen: 0" in body
    assert "Weekly" not in body and "(PHYS)" not in body  # one language, own institutes

    english = email.message_from_bytes(by_recipient[PAUL], policy=policy.default)
    assert english["Subject"].startswith("[RA-Portal] Weekly digest 20")
    body = verified_text(openssl, runtime, by_recipient[PAUL], tmp_path)
    assert "(PHYS)" in body and "Addresses waiting for confirmation: 0" in body
    assert "Certificates expiring within 60 days: 0" in body
    assert "Wochenübersicht" not in body and "(ITC)" not in body

    assert len(digests(runtime, run_jobs, smtp)) == 2  # the same week again: nothing new
    with runtime.session() as s:
        queued = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "mail.digest")).all()
        assert len(queued) == 2 and {m.state for m in queued} == {"done"}
    clock.advance(days=7)  # next week: one more each
    assert len(digests(runtime, run_jobs, smtp)) == 4


def test_only_the_leading_runner_queues_digests():
    from ra_console.jobs.scheduler import LIFECYCLE_SWEEPS, SHARED_SWEEPS

    assert "send_weekly_digests" not in SHARED_SWEEPS  # _if_leading wraps it
    assert "send_weekly_digests" in LIFECYCLE_SWEEPS


def test_not_ordered_or_stopped_means_no_mail(browser, runtime, run_jobs, smtp):
    order(browser, "nk-itc", "en")
    page = order(browser, "nk-itc", "en", "off")
    assert "You will no longer receive the weekly digest." in page
    assert digests(runtime, run_jobs, smtp) == []
    with runtime.session() as s:
        assert not s.exec(select(Person).where(Person.weekly_digest)).all()
        events = s.exec(select(AuditEvent.trigger, AuditEvent.actor).where(
            AuditEvent.trigger.in_(("digest_on", "digest_off")))
            .order_by(AuditEvent.seq)).all()
        assert [tuple(e) for e in events] == [("digest_on", "nk-itc"), ("digest_off", "nk-itc")]


def test_only_network_contacts_may_order_and_bad_input_is_explained(browser):
    browser.login("erika")
    response = browser.submit("/certificates", {"weekly_digest": "on"},
                              action="/console/digest")
    assert response.status_code in (302, 403)
    browser.logout()
    browser.login("nk-itc")
    # without the form's token: refused
    assert browser.client.post("/console/digest", data={"weekly_digest": "on"}
                               ).status_code == 400
    page = browser.submit("/console/", {"weekly_digest": "yes please"},
                          action="/console/digest", follow_redirects=True
                          ).get_data(as_text=True)
    assert "Choose whether you want the weekly digest." in page
    assert re.search(r'name="weekly_digest" value="on"', page)  # still not ordered
