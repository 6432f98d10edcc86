"""RA administration in the console: approvals, maintenance switch, revoke all."""

from __future__ import annotations

import dataclasses

import pytest
from sqlmodel import select

from ra_console.console.faces import colon_serial
from ra_console.models import AuditEvent, Certificate, Person


def status_of(runtime, public_id) -> Certificate:
    with runtime.session() as s:
        return s.exec(select(Certificate).where(Certificate.public_id == public_id)).one()


@pytest.fixture
def approval_required(runtime):
    profile = runtime.profiles["personal"]
    runtime.profiles["personal"] = dataclasses.replace(profile, approval_required=True)


def test_approval_queue_and_four_eyes(browser, runtime, request_certificate, run_jobs,
                                      approval_required):
    mine = request_certificate("admin")
    theirs = request_certificate("erika")
    assert status_of(runtime, theirs).status == "pending_approval"
    browser.login("admin")
    queue = browser.get("/console/approvals/").get_data(as_text=True)
    assert mine in queue and theirs in queue
    own = status_of(runtime, mine)
    page = browser.get(f"/console/approvals/actions/{own.id}").get_data(as_text=True)
    assert f"/fire/{own.id}/approve" not in page  # never one's own request
    other = status_of(runtime, theirs)
    browser.submit(f"/console/approvals/actions/{other.id}", {"comment": "ok"},
                   action=f"/console/approvals/fire/{other.id}/approve")
    run_jobs()
    assert status_of(runtime, theirs).status == "issued"
    browser.submit(f"/console/approvals/actions/{own.id}", {"comment": "self"},
                   action=f"/console/approvals/fire/{own.id}/approve")
    assert status_of(runtime, mine).status == "pending_approval"


@pytest.mark.parametrize("trigger, status, subject_word, comment", [
    ("reject", "rejected", "abgelehnt", "Name unclear"),
    ("approve", "issued", "genehmigt", "Checked by phone"),
])
def test_decision_comment_is_mailed(browser, runtime, request_certificate, run_jobs,
                                    approval_required, trigger, status, subject_word,
                                    comment):
    import email
    from email import policy
    from pathlib import Path

    public_id = request_certificate()
    cert = status_of(runtime, public_id)
    browser.login("admin")
    browser.submit(f"/console/approvals/actions/{cert.id}",
                   {"comment": comment, "confirmed": "y"},  # rejecting is destructive
                   action=f"/console/approvals/fire/{cert.id}/{trigger}")
    run_jobs()
    assert status_of(runtime, public_id).status == status
    mails = [email.message_from_bytes(p.read_bytes(), policy=policy.default)
             for p in (Path(runtime.config["instance_path"]) / "mail").glob("*.eml")]
    decided = [m for m in mails if subject_word in m["Subject"]]
    assert decided and comment in decided[0].get_body(preferencelist=("plain",)).get_content()


def test_maintenance_switch_keeps_requests(browser, runtime, request_certificate, run_jobs,
                                          clock):
    browser.login("admin")
    browser.submit("/console/settings/", {"paused": "1", "message_de": "Wartung bis 12 Uhr",
                                          "message_en": "Maintenance until noon"})
    public_id = request_certificate()
    assert "Maintenance until noon" in browser.get("/certificates").get_data(as_text=True)
    run_jobs()
    clock.advance(hours=2)
    run_jobs()
    assert status_of(runtime, public_id).status == "sent"
    browser.login("admin")
    browser.submit("/console/settings/", {"message_de": "", "message_en": ""})
    run_jobs()
    assert status_of(runtime, public_id).status == "issued"
    with runtime.session() as s:
        triggers = [e.trigger for e in s.exec(select(AuditEvent).where(
            AuditEvent.entity_type == "setting").order_by(AuditEvent.seq))]
    assert triggers == ["pause", "resume"]


def test_pause_banner_reaches_other_processes_after_the_ttl(browser, runtime):
    """Another process (here: a row written straight to the database) changes the switch;
    the banner follows within settings_cache_seconds, without a query per page."""
    from ra_console.models import Setting

    ticks = [0.0]
    runtime.config["settings_cache_seconds"] = 10
    runtime.monotonic = lambda: ticks[0]
    runtime.invalidate_settings()
    browser.login("erika")
    assert "Maintenance until noon" not in browser.get("/certificates").get_data(as_text=True)
    with runtime.session() as s:
        s.add(Setting(key="issuance_pause", value={
            "paused": True, "message_de": "Wartung", "message_en": "Maintenance until noon"}))
        s.commit()
    ticks[0] = 9.9
    assert "Maintenance until noon" not in browser.get("/certificates").get_data(as_text=True)
    ticks[0] = 10.0
    assert "Maintenance until noon" in browser.get("/certificates").get_data(as_text=True)


def test_auditor_cannot_flip_the_switch(browser, runtime):
    browser.login("auditor")
    assert browser.get("/console/settings/").status_code == 200
    response = browser.submit("/console/settings/", {"paused": "1"})
    assert response.status_code == 403


def test_revoke_all_of_a_person(browser, runtime, request_certificate, run_jobs):
    public_id = request_certificate()
    run_jobs()
    with runtime.session() as s:
        erika = s.exec(select(Person).where(Person.username == "erika")).one()
    browser.login("nk-itc")
    assert browser.get(f"/console/persons/revoke-all/{erika.id}").status_code == 403
    browser.login("admin")
    page = browser.get(f"/console/persons/revoke-all/{erika.id}").get_data(as_text=True)
    assert colon_serial(status_of(runtime, public_id).serial) in page
    assert "1 certificate of Erika" in page
    browser.submit(f"/console/persons/revoke-all/{erika.id}", {"reason": "affiliationChanged"})
    assert status_of(runtime, public_id).status == "issued"  # not confirmed: nothing done
    browser.submit(f"/console/persons/revoke-all/{erika.id}",
                   {"reason": "affiliationChanged", "confirmed": "y"})
    cert = status_of(runtime, public_id)
    assert (cert.status, cert.revocation_reason) == ("revoked", "affiliationChanged")
