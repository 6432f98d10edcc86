"""Certificate problem reports (/pki/problem-report, no sign-in): the form opens a case,
the console shows its clock, the job runner reminds the RA admins at 12 h and 2 h left
(once per step), an RA admin revokes the certificate with a BR reason and closes the case
with a conclusion mailed (signed, real SMTP) to the reporter and the holder; every step is
audited."""

from __future__ import annotations

import email
import html
import io
import re
from email import policy

import pytest
from sqlmodel import select

from ra_console.models import AuditEvent, Certificate, OutboxMessage, ProblemReport

OPS = "ra-ops@uni.example.org"
REPORTER = "finder@example.net"
FORM = "/pki/problem-report"


@pytest.fixture
def config_overrides(smtp_config):
    return {**smtp_config, "alerts.recipients": [OPS]}


@pytest.fixture
def cert(issue_directly, runtime):
    with runtime.session() as s:
        return s.get(Certificate, issue_directly())


def colon(serial: str) -> str:
    padded = serial if len(serial) % 2 == 0 else "0" + serial
    return ":".join(padded[i:i + 2] for i in range(0, len(padded), 2)).upper()


def _report(browser, **fields):
    data = {"serial": "", "email": REPORTER, "kind": "key_compromise",
            "description": "The key was posted on a paste site.", **fields}
    return browser.submit(FORM, data, content_type="multipart/form-data")


def _error(response) -> str:
    assert response.status_code == 400, response.get_data(as_text=True)[:500]
    page = response.get_data(as_text=True)
    found = re.search(r'id="report-error">([^<]+)<', page)
    assert found, page[-3000:]
    return html.unescape(found.group(1))


def _mails(smtp) -> list[tuple[list[str], email.message.Message]]:
    return [(to, email.message_from_bytes(content, policy=policy.default))
            for to, content in smtp.messages]


def _events(runtime, public_id: str) -> list[tuple[str, str]]:
    with runtime.session() as s:
        return [(e.trigger, e.role) for e in s.exec(select(AuditEvent).where(
            AuditEvent.entity_id == public_id).order_by(AuditEvent.seq))]


def test_report_runs_to_its_conclusion_within_the_clock(browser, cert, runtime, clock,
                                                        run_jobs, smtp):
    response = _report(browser, serial=colon(cert.serial))
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert f"Your report about the certificate {cert.serial} has been received" in page
    with runtime.session() as s:
        report = s.exec(select(ProblemReport)).one()
    assert (report.status, report.certificate_id, report.kind) == ("open", cert.id,
                                                                  "key_compromise")
    assert _events(runtime, report.public_id) == [("create", "anonymous")]

    browser.login("admin")
    listing = browser.get("/console/problem_reports/").get_data(as_text=True)
    assert "24 h 0 min left" in listing and colon(cert.serial) in listing
    dashboard = browser.get("/console/").get_data(as_text=True)
    assert 'id="open-reports"' in dashboard and "24 h 0 min left" in dashboard

    run_jobs()
    assert [to for to, _m in smtp.messages if to == [OPS]] == []  # no reminder yet
    clock.advance(hours=12, minutes=1)
    run_jobs()
    run_jobs()  # the second sweep finds the step reminded already
    clock.advance(hours=10)
    run_jobs()
    run_jobs()
    reminders = [m for to, m in _mails(smtp) if to == [OPS]]
    assert [m["Subject"].split(" / ")[0] for m in reminders] == [
        f"[RA-Portal] Problem report about certificate {cert.serial}: 12 hours left",
        f"[RA-Portal] Problem report about certificate {cert.serial}: 2 hours left"]
    assert all(m.get_content_type() == "multipart/signed" for m in reminders)
    assert f"/console/problem_reports/actions/{report.id}" in reminders[0].as_string()

    actions = f"/console/problem_reports/actions/{report.id}"
    page = browser.get(actions).get_data(as_text=True)
    assert 'id="time-left">1 h 59 min left' in page
    # the tick is required: nothing happens without it
    browser.submit(actions, {"reason": "keyCompromise"},
                   action=f"/console/problem_reports/fire/{report.id}/revoke_certificate")
    with runtime.session() as s:
        assert s.get(Certificate, cert.id).status == "issued"
    done = browser.submit(actions, {"reason": "keyCompromise", "confirmed": "y"},
                          action=f"/console/problem_reports/fire/{report.id}/revoke_certificate")
    assert done.status_code == 302
    refused = browser.submit(actions, {"conclusion": "  ", "confirmed": "y"},
                             action=f"/console/problem_reports/fire/{report.id}/close")
    assert refused.status_code == 302
    assert "Please write the conclusion" in browser.get(actions).get_data(as_text=True)
    conclusion = "The key was published; the certificate is revoked."
    browser.submit(actions, {"conclusion": conclusion, "confirmed": "y"},
                   action=f"/console/problem_reports/fire/{report.id}/close")
    with runtime.session() as s:
        row = s.get(Certificate, cert.id)
        assert (row.status, row.revocation_reason) == ("revoked", "keyCompromise")
        closed = s.get(ProblemReport, report.id)
        assert (closed.status, closed.conclusion, closed.closed_by) == (
            "closed", conclusion, "admin")
    assert _events(runtime, report.public_id) == [
        ("create", "anonymous"), ("remind", "system"), ("remind", "system"),
        ("revoke_certificate", "ra_admin"), ("close", "ra_admin")]
    with runtime.session() as s:
        data = [{k: v for k, v in e.data.items() if k != "request_id"} for e in s.exec(
            select(AuditEvent).where(AuditEvent.entity_id == report.public_id)
            .order_by(AuditEvent.seq))]
    assert data[1:4] == [{"step": 12}, {"step": 2},
                         {"reason": "keyCompromise", "serial": cert.serial}]

    run_jobs()
    mails = {to[0]: m for to, m in _mails(smtp) if to != [OPS]}
    holder = cert.addresses[0]
    assert set(mails) >= {REPORTER, holder}
    for address in (REPORTER, holder):
        assert mails[address].get_content_type() == "multipart/signed"
        text = mails[address].as_string()
        assert conclusion in text and "The certificate was revoked (private key " \
            "compromised)." in text
    assert "you reported a problem" in mails[REPORTER].as_string()
    assert "someone reported a problem with your certificate" in mails[holder].as_string()
    with runtime.session() as s:
        kinds = {m.kind for m in s.exec(select(OutboxMessage))}
    assert "mail.problem_report" in kinds


def test_certificate_file_in_der_and_german_texts(browser, cert):
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    der = x509.load_pem_x509_certificate(cert.cert_pem.encode()).public_bytes(Encoding.DER)
    browser.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    response = _report(browser, certificate_file=(io.BytesIO(der), "cert.der"),
                       kind="misuse")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Vielen Dank" in page, page[:3000]
    refusal = _error(_report(browser, serial="zz:11"))
    assert refusal.startswith("Die Seriennummer darf nur")


def test_refusals_are_clear_and_keep_what_was_typed(browser, cert, runtime):
    cases = [
        (dict(), "Please give the certificate's serial number or upload the certificate."),
        (dict(serial="xyz"), "The serial number may contain only the digits"),
        (dict(serial="ab" * 20), "No certificate issued by this RA has this serial number"),
        (dict(certificate_file=(io.BytesIO(b"nonsense"), "c.pem")), "cannot be read"),
        (dict(serial=cert.serial, email=""), "Please give an e-mail address"),
        (dict(serial=cert.serial, email="not an address"), "is not a valid e-mail address"),
        (dict(serial=cert.serial, kind=""), "Please choose what kind of problem"),
        (dict(serial=cert.serial, kind="nonsense"), "Please choose what kind of problem"),
        (dict(serial=cert.serial, description=" "), "Please describe the problem."),
        (dict(serial=cert.serial, description="a\x1bb"), "The description contains a control"),
        (dict(serial=cert.serial, description="x" * 4001), "The description is longer than"),
    ]
    for fields, expected in cases:
        response = _report(browser, **fields)
        assert expected in _error(response), (fields, expected)
    page = _report(browser, serial="xyz", description="Mein Text bleibt").get_data(as_text=True)
    assert 'value="xyz"' in page and "Mein Text bleibt</textarea>" in page
    assert f'value="{REPORTER}"' in page and 'value="key_compromise" checked' in page
    with runtime.session() as s:
        assert s.exec(select(ProblemReport)).all() == []


def test_form_needs_csrf(browser):
    response = browser.client.post(FORM, data={"serial": "01", "email": REPORTER})
    assert response.status_code == 400 and "The form has expired" in response.get_data(
        as_text=True)


def test_auditor_reads_other_roles_are_refused(browser, cert, runtime):
    _report(browser, serial=cert.serial)
    with runtime.session() as s:
        report = s.exec(select(ProblemReport)).one()
    browser.login("auditor")
    page = browser.get(f"/console/problem_reports/actions/{report.id}").get_data(as_text=True)
    assert "No action is possible for you" in page and 'id="action-close"' not in page
    assert browser.submit(f"/console/problem_reports/actions/{report.id}",
                          {"conclusion": "x", "confirmed": "y"},
                          action=f"/console/problem_reports/fire/{report.id}/close"
                          ).status_code == 403
    for who in ("nk-itc", "idv", "erika"):
        browser.login(who)
        assert browser.get("/console/problem_reports/").status_code == 403, who


def test_linked_from_the_public_pages_and_the_pki_index(browser):
    assert f'href="{FORM}"' in browser.get("/login").get_data(as_text=True)
    assert f'href="{FORM}"' in browser.get("/pki/").get_data(as_text=True)


def test_overdue_cases_say_so_and_closed_ones_stop_the_clock(browser, cert, runtime, clock):
    _report(browser, serial=cert.serial, kind="wrong_data")
    with runtime.session() as s:
        report = s.exec(select(ProblemReport)).one()
    clock.advance(hours=25, minutes=30)
    browser.login("admin")
    assert "overdue by 1 h 30 min" in browser.get("/console/problem_reports/").get_data(
        as_text=True)
    actions = f"/console/problem_reports/actions/{report.id}"
    browser.submit(actions, {"conclusion": "The data is correct.", "confirmed": "y"},
                   action=f"/console/problem_reports/fire/{report.id}/close")
    listing = browser.get("/console/problem_reports/").get_data(as_text=True)
    assert "overdue" not in listing and ">closed<" in listing.replace("\n", "").replace(" ", "")
    assert 'id="no-open-reports"' in browser.get("/console/").get_data(as_text=True)
    with runtime.session() as s:
        assert s.get(Certificate, cert.id).status == "issued"  # closed without revoking
