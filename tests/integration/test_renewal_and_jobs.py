"""The renewal-window rule, the outbox (retries, backoff, dead, dedupe) and the expiry sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from ra_console.adapters import outbox
from ra_console.jobs import handlers
from ra_console.jobs.sweeps import drain_outbox, expire_certificates
from ra_console.models import Certificate, Mailbox, MailboxAddress, OutboxMessage, Person
from ra_console.queries.requests import address_choices
from ra_console.usecases.requests import create_request
from ra_console.web.current import actor_for
from ra_console.workflow.actor import SYSTEM
from ra_console.workflow.engine import create, fire

CONSENTS = {"name_and_mailbox": True, "data_processing": True, "directory_publication": True}


def erika(s) -> Person:
    return s.exec(select(Person).where(Person.username == "erika")).one()


def choice(runtime):
    with runtime.session() as s:
        return address_choices(s, runtime, erika(s), runtime.now())[0]


@pytest.mark.parametrize("days_left, requestable", [(400, False), (29, False), (27, True)])
def test_renewal_window(issue_directly, app, seeded, new_csr, clock, days_left, requestable):
    cert_id = issue_directly()
    with seeded.session() as s:
        not_after = s.get(Certificate, cert_id).not_after
    clock.now = not_after.replace(tzinfo=clock.now.tzinfo) - timedelta(days=days_left)
    found = choice(seeded)
    assert found.requestable is requestable
    assert found.blocked_by == (None if requestable else "valid_certificate")


def test_revoked_certificate_frees_the_address(issue_directly, app, seeded, new_csr):
    cert_id = issue_directly()
    assert choice(seeded).blocked_by == "valid_certificate"
    with seeded.session() as s:
        fire(s, s.get(Certificate, cert_id), "revoke", actor_for(erika(s), s), reason="superseded")
        s.commit()
    assert choice(seeded).requestable


def test_open_request_blocks(seeded, new_csr):
    with seeded.session() as s:
        who = erika(s)
        mailbox = s.exec(select(Mailbox).where(Mailbox.owner_id == who.id)).first()
        cert = create_request(s, seeded, actor_for(who, s), who, mailbox_public_id=mailbox.public_id,
                              aliases=[], csr=new_csr()[1], consents=CONSENTS)
        # one open request per address: an unsent draft blocks a second one, too
        assert address_choices(s, seeded, who, seeded.now())[0].blocked_by == "unsent_request"
        fire(s, cert, "submit", actor_for(who, s))
        s.commit()
    assert choice(seeded).blocked_by == "open_request"


def test_expiry_sweep(issue_directly, app, seeded, new_csr, clock):
    cert_id = issue_directly()
    assert expire_certificates(seeded) == 0
    with seeded.session() as s:
        not_after = s.get(Certificate, cert_id).not_after
    clock.now = not_after.replace(tzinfo=clock.now.tzinfo) + timedelta(seconds=1)
    assert expire_certificates(seeded) == 1
    with seeded.session() as s:
        assert s.get(Certificate, cert_id).status == "expired"
    assert expire_certificates(seeded) == 0  # idempotent


def test_outbox_dedupe(runtime):
    with runtime.session() as s:
        first = outbox.enqueue(s, "mail", {"n": 1}, "same-key")
        second = outbox.enqueue(s, "mail", {"n": 2}, "same-key")
        s.commit()
        assert first.id == second.id
        assert len(s.exec(select(OutboxMessage)).all()) == 1


def test_outbox_retries_with_backoff_then_dead_then_retry(app, runtime, clock, monkeypatch):
    calls = []

    def flaky(session, message):
        calls.append(message.id)
        raise ConnectionError("SMTP server down")
    monkeypatch.setitem(handlers.HANDLERS, "mail", flaky)
    with runtime.session() as s:
        message_id = outbox.enqueue(s, "mail", {}, "k1").id
        s.commit()
    base = runtime.config["jobs.backoff_seconds"]
    with app.app_context():
        assert drain_outbox(runtime) == 0
        with runtime.session() as s:
            message = s.get(OutboxMessage, message_id)
            assert (message.state, message.attempts) == ("pending", 1)
            assert "SMTP server down" in message.last_error
            due = message.next_attempt_at
        assert drain_outbox(runtime) == 0 and len(calls) == 1  # not due yet: not tried
        clock.now += timedelta(seconds=base)
        drain_outbox(runtime)
        with runtime.session() as s:
            second_due = s.get(OutboxMessage, message_id).next_attempt_at
        assert (second_due - due).total_seconds() == pytest.approx(base * 2, abs=1)
        for _ in range(10):
            clock.now += timedelta(hours=2)
            drain_outbox(runtime)
        with runtime.session() as s:
            message = s.get(OutboxMessage, message_id)
            assert message.state == "dead"
            assert message.attempts == runtime.config["jobs.max_attempts"]
        assert len(calls) == runtime.config["jobs.max_attempts"]
        monkeypatch.setitem(handlers.HANDLERS, "mail", lambda session, message: None)
        with runtime.session() as s:
            outbox.retry_dead(s, message_id, clock.now)
            s.commit()
        assert drain_outbox(runtime) == 1
        with runtime.session() as s:
            assert s.get(OutboxMessage, message_id).state == "done"


def test_functional_mailbox_certificate(issue_directly, app, seeded, new_csr):
    """A functional mailbox gets a mailbox-validated certificate without a personal name."""
    from cryptography import x509

    from ra_console.pki.lint import lint_certificate

    with seeded.session() as s:
        who = erika(s)
        mailbox = Mailbox(owner_id=who.id, source="institute", kind="functional",
                          display_name="Physics Office")
        create(s, mailbox, SYSTEM, state="verified")  # factory: the challenge flow is elsewhere
        s.add(MailboxAddress(mailbox_id=mailbox.id, address="office@physik.uni.example.org",
                             display="Office@physik.uni.example.org", is_primary=True))
        s.commit()
        s.refresh(mailbox)
    cert_id = issue_directly(mailbox=mailbox)
    with seeded.session() as s:
        cert = s.get(Certificate, cert_id)
        leaf = x509.load_pem_x509_certificate(cert.cert_pem.encode())
    assert len(leaf.subject) == 0
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert san.critical and san.value.get_values_for_type(x509.RFC822Name) == [
        "office@physik.uni.example.org"]
    policies = leaf.extensions.get_extension_for_class(x509.CertificatePolicies).value
    assert policies[0].policy_identifier.dotted_string == "2.23.140.1.5.1.3"
    findings = lint_certificate(cert_der(leaf))
    assert [f for f in findings if f.severity in ("FATAL", "ERROR", "WARNING")] == []


def cert_der(leaf) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding

    return leaf.public_bytes(Encoding.DER)


def test_crl_is_refreshed_before_it_grows_old(runtime, clock):
    from pathlib import Path

    from cryptography import x509 as x509_

    from ra_console.jobs.sweeps import refresh_crl

    crl_file = Path(runtime.config["pki.local_ca_path"]) / "issuing.crl"
    first = x509_.load_der_x509_crl(crl_file.read_bytes())
    assert refresh_crl(runtime) == 0  # written at START, still fresh
    clock.advance(hours=runtime.config["pki.crl_refresh_hours"] + 1)
    assert refresh_crl(runtime) == 1
    second = x509_.load_der_x509_crl(crl_file.read_bytes())
    assert second.last_update_utc == clock.now.replace(microsecond=0)
    number = x509_.CRLNumber
    assert (second.extensions.get_extension_for_class(number).value.crl_number
            > first.extensions.get_extension_for_class(number).value.crl_number)
    assert refresh_crl(runtime) == 0


def test_only_one_job_runner_leads(runtime):
    from ra_console.jobs.scheduler import LEADER_LOCK, Leadership

    leader, standby = Leadership(runtime.engine), Leadership(runtime.engine)
    if runtime.engine.dialect.name != "postgresql":
        assert leader.try_to_lead() and leader.leads  # SQLite: one machine, no lock
        return
    from sqlalchemy import text

    try:
        assert leader.try_to_lead() is True
        assert standby.try_to_lead() is False and not standby.leads
        assert leader.try_to_lead() is True  # still holds it
        with runtime.engine.connect() as other:
            taken = other.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                  {"k": LEADER_LOCK}).scalar()
            assert taken is False
    finally:
        leader.release()
    assert not leader.leads
    try:
        assert standby.try_to_lead() is True  # the standby takes over
    finally:
        standby.release()


def test_lifecycle_sweeps_run_on_their_own_interval(app, runtime):
    """Sweeps over every issued certificate (reminders, offboarding) run every few minutes,
    the outbox and the CA every few seconds."""
    from ra_console.jobs.scheduler import build_scheduler
    from ra_console.jobs.sweeps import SWEEPS

    runtime.config["jobs.interval_seconds"] = 5
    runtime.config["jobs.lifecycle_interval_seconds"] = 300
    runtime.config["ldap_sync.interval_seconds"] = 120
    scheduler = build_scheduler(app, background=True)
    intervals = {job.id: job.trigger.interval.total_seconds() for job in scheduler.get_jobs()}
    assert set(intervals) == set(SWEEPS)
    assert {name for name, seconds in intervals.items() if seconds == 300} == {
        "send_expiry_reminders", "offboard_certificates", "expire_identities",
        "send_weekly_digests", "remind_problem_reports"}
    assert intervals["drain_outbox"] == intervals["expire_certificates"] == 5
    assert intervals["sync_ldap_persons"] == 120  # its own key
