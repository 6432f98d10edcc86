"""The lifecycle on autopilot, with the controllable clock: expiry reminders (each once,
with a renewal link that preselects the address), expiry, offboarding after the grace
period and nothing before it."""

from __future__ import annotations

import email
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from ra_console.core.config import ConfigError, load_config
from ra_console.jobs.lifecycle import offboard_certificates, send_expiry_reminders
from ra_console.jobs.sweeps import drain_outbox, run_once
from ra_console.models import AuditEvent, Certificate, Mailbox, OutboxMessage
from ra_console.usecases.signin import SignInIdentity, upsert_person

ERIKA = "erika.mustermann@uni.example.org"


def _get(runtime, cert_id) -> Certificate:
    with runtime.session() as s:
        return s.get(Certificate, cert_id)


def _at(clock, moment, **delta):
    clock.now = moment.replace(tzinfo=clock.now.tzinfo) + timedelta(**delta)


def _sign_in_again(runtime, emails=(ERIKA,), affiliations=("employee", "member")):
    """What the sign-in sync does with the IdM's current attributes."""
    with runtime.session() as s:
        upsert_person(s, SignInIdentity("erika", "Erika", "Mustermann", tuple(emails),
                                        tuple(affiliations)),
                      idm_domains=runtime.config["organization.idm_domains"], now=runtime.now())
        s.commit()


def _mails(runtime) -> list[email.message.Message]:
    folder = Path(runtime.config["instance_path"]) / "mail"
    return [email.message_from_bytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))]


def _text(message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode()
    return ""


def test_reminders_once_each_then_expiry(issue_directly, app, seeded, new_csr, clock):
    cert_id = issue_directly(address=ERIKA)
    not_after = _get(seeded, cert_id).not_after
    _at(clock, not_after, days=-29)
    assert send_expiry_reminders(seeded) == 0
    sent = []
    for days in (28, 14, 7):
        _at(clock, not_after, days=-days, hours=1)
        assert send_expiry_reminders(seeded) == 1
        assert send_expiry_reminders(seeded) == 0  # once
        _at(clock, not_after, days=-days, hours=5)
        assert send_expiry_reminders(seeded) == 0  # still once, hours later
        sent.append(days)
    _at(clock, not_after, days=-2)
    assert send_expiry_reminders(seeded) == 0
    with seeded.session() as s:
        keys = sorted(m.dedupe_key.rsplit(":", 1)[1] for m in s.exec(select(OutboxMessage).where(
            OutboxMessage.dedupe_key.like("mail:expiry_reminder:%"))).all())
        mailbox = s.get(Mailbox, _get(seeded, cert_id).mailbox_id)
    assert keys == ["14", "28", "7"]
    with app.app_context():
        drain_outbox(seeded)
    reminders = [m for m in _mails(seeded) if "expires in" in m["Subject"]
                 or "läuft in" in m["Subject"]]
    assert len(reminders) == 3 and all(m["To"] == ERIKA for m in reminders)
    body = _text(reminders[0])
    assert (f"http://portal.uni.example.org/certificates/new?mailbox={mailbox.public_id}"
            in body)
    _at(clock, not_after, seconds=1)
    with app.app_context():
        run_once(seeded)
    assert _get(seeded, cert_id).status == "expired"
    assert send_expiry_reminders(seeded) == 0


def test_one_reminder_day(issue_directly, app, seeded, new_csr, clock):
    seeded.config["lifecycle.reminder_days"] = [10]
    cert_id = issue_directly(address=ERIKA)
    not_after = _get(seeded, cert_id).not_after
    _at(clock, not_after, days=-11)
    assert send_expiry_reminders(seeded) == 0
    _at(clock, not_after, days=-9)
    assert send_expiry_reminders(seeded) == 1
    assert send_expiry_reminders(seeded) == 0
    with seeded.session() as s:
        message = s.exec(select(OutboxMessage).where(
            OutboxMessage.dedupe_key.like("mail:expiry_reminder:%"))).one()
    assert message.dedupe_key.endswith(":10") and message.payload["days"] == 10


def test_no_reminder_after_renewal(issue_directly, app, seeded, new_csr, clock):
    cert_id = issue_directly(address=ERIKA)
    not_after = _get(seeded, cert_id).not_after
    _at(clock, not_after, days=-20)  # inside the renewal window: a new request is allowed
    issue_directly(address=ERIKA)
    _at(clock, not_after, days=-14, hours=1)
    assert send_expiry_reminders(seeded) == 0


def test_renewal_link_preselects_the_address(app, seeded, browser):
    second = "erika.m@uni.example.org"
    browser.login("erika")  # (the demo sign-in knows one address: sync the second after)
    _sign_in_again(seeded, emails=(ERIKA, second))
    with seeded.session() as s:
        mailbox = next(m for m in s.exec(select(Mailbox)) if any(
            a.address == second for a in m.addresses))
    page = browser.get(f"/certificates/new?mailbox={mailbox.public_id}").get_data(as_text=True)
    checked = re.findall(r'<input type="radio" name="mailbox" value="([^"]+)"[^>]*checked', page)
    assert checked == [mailbox.public_id]
    page = browser.get("/certificates/new?mailbox=not-mine").get_data(as_text=True)
    assert re.findall(r'<input type="radio" name="mailbox" value="([^"]+)"[^>]*checked',
                      page) != [mailbox.public_id]


def test_offboarding_after_status_loss_not_before_grace(issue_directly, app, seeded, new_csr, clock):
    cert_id = issue_directly(address=ERIKA)
    _sign_in_again(seeded, affiliations=("affiliate",))  # no longer employee
    start = clock.now
    assert offboard_certificates(seeded) == 0
    cert = _get(seeded, cert_id)
    assert cert.status == "issued" and cert.offboard_reason == "affiliationChanged"
    with seeded.session() as s:
        notices = s.exec(select(OutboxMessage).where(
            OutboxMessage.kind == "mail.offboarding")).all()
    assert [n.payload["to"] for n in notices] == [ERIKA]
    clock.now = start + timedelta(days=5) - timedelta(minutes=1)
    assert offboard_certificates(seeded) == 0
    assert _get(seeded, cert_id).status == "issued"  # nothing before the grace period ends
    clock.now = start + timedelta(days=5)
    assert offboard_certificates(seeded) == 1
    cert = _get(seeded, cert_id)
    assert (cert.status, cert.revocation_reason) == ("revoked", "affiliationChanged")
    with seeded.session() as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.entity_id == cert.public_id,
                                                AuditEvent.trigger == "revoke")).one()
        kinds = {m.kind for m in s.exec(select(OutboxMessage)).all()}
    assert (event.actor, event.role) == ("system", "system")
    assert "ca.revoke" in kinds
    with app.app_context():
        drain_outbox(seeded)
    texts = [_text(m) for m in _mails(seeded)]
    assert any("will be revoked on" in t or "widerrufen" in t for t in texts)


def test_offboarding_after_address_deactivation(issue_directly, app, seeded, new_csr, clock):
    second = "erika.m@uni.example.org"
    _sign_in_again(seeded, emails=(ERIKA, second))
    cert_id = issue_directly(address=second)
    _sign_in_again(seeded, emails=(ERIKA,))  # the IdM dropped the address: deactivated
    assert offboard_certificates(seeded) == 0
    assert _get(seeded, cert_id).offboard_reason == "cessationOfOperation"
    clock.advance(days=3)
    assert offboard_certificates(seeded) == 0
    clock.advance(days=2)
    assert offboard_certificates(seeded) == 1
    cert = _get(seeded, cert_id)
    assert (cert.status, cert.revocation_reason) == ("revoked", "cessationOfOperation")


def test_offboarding_is_called_off_when_the_status_returns(issue_directly, app, seeded, new_csr, clock):
    cert_id = issue_directly(address=ERIKA)
    _sign_in_again(seeded, affiliations=("affiliate",))
    offboard_certificates(seeded)
    assert _get(seeded, cert_id).offboard_at is not None
    clock.advance(days=2)
    _sign_in_again(seeded)  # employee again
    assert offboard_certificates(seeded) == 0
    clock.advance(days=10)
    assert offboard_certificates(seeded) == 0
    cert = _get(seeded, cert_id)
    assert (cert.status, cert.offboard_at) == ("issued", None)


@pytest.mark.parametrize("key, value", [("lifecycle.offboarding_grace_days", 6),
                                        ("lifecycle.reminder_days", [28, 0])])
def test_lifecycle_config_is_checked(tmp_path, key, value):
    section, name = key.split(".")
    value_text = str(value).lower()
    (tmp_path / "site.toml").write_text(f"[{section}]\n{name} = {value_text}\n")
    with pytest.raises(ConfigError, match=name):
        load_config(environ={"RA_CONFIG": str(tmp_path / "site.toml"),
                             "RA_INSTANCE_PATH": str(tmp_path)})
