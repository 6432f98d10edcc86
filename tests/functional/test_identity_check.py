"""Identity verification end to end through the test client, with its bad inputs."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
from sqlmodel import select

from ra_console.jobs.sweeps import expire_identities
from ra_console.models import AuditEvent, IdentityCheck, Person

FUTURE = (date(2026, 11, 2) + timedelta(days=3000)).isoformat()


def start_check(browser) -> str:
    browser.login("gast")
    page = browser.submit("/identity", {"consent": "1"}).get_data(as_text=True)
    return re.search(r'id="identity-code"><strong>([A-Z0-9-]+)<', page).group(1)


def desk(browser, code, step="lookup", **fields):
    return browser.submit("/console/identity-desk/", {"code": code, "step": step, **fields})


GOOD = {"legal_given_name": "Gabriele", "legal_surname": "Gast",
        "document_type": "passport", "document_issuer": "DE / Stadt Aachen",
        "document_number": "C01X00T47", "document_expiry": FUTURE}


def test_whole_identity_flow(browser, runtime):
    code = start_check(browser)
    assert "identity must be verified" in browser.get("/certificates/new").get_data(
        as_text=True)
    browser.submit("/identity", action="/logout")
    browser.login("idv")
    lookup = desk(browser, code)
    assert "Gabi Gast (gast)" in lookup.get_data(as_text=True)
    done = desk(browser, code, "verify", **GOOD)
    assert done.status_code == 302
    with runtime.session() as s:
        check = s.exec(select(IdentityCheck)).one()
        assert check.status == "verified" and check.verifier == "idv"
        assert check.document_number_last == "T47"
        assert "C01X00T47" not in str(check.model_dump())
        person = s.exec(select(Person).where(Person.username == "gast")).one()
        assert (person.legal_given_name, person.legal_surname) == ("Gabriele", "Gast")
    browser.submit("/console/", action="/logout")
    browser.login("gast")
    page = browser.get("/certificates/new").get_data(as_text=True)
    assert "identity must be verified" not in page
    assert "Gabriele Gast" in page  # the legal name goes into the certificate


@pytest.mark.parametrize("change, message", [
    ({"document_type": "driving_licence"}, "driving licence is not accepted"),
    ({"document_expiry": "2020-01-01"}, "document has expired"),
    ({"document_number": ""}, "Please fill in: document_number"),
    ({"legal_surname": "  "}, "Please fill in: legal_surname"),
    ({"document_expiry": "not a date"}, "Please fill in: document_expiry"),
    ({"document_type": ""}, "choose the document type"),
    # pen-test finding 8: the legal name becomes a certificate's CN
    ({"legal_given_name": "<b>Gabi</b>"}, "The legal given name must not contain < or >"),
    ({"legal_surname": "G" * 65}, "The legal surname is longer than 64 characters"),
    ({"document_number": "A" * 5000}, "document number may contain letters, digits"),
    ({"document_number": "C01<X>00"}, "document number may contain letters, digits"),
    ({"document_issuer": "Stadt\x00Aachen"}, "The input contains a control character (NUL)"),
])
def test_bad_document_inputs(browser, runtime, change, message):
    code = start_check(browser)
    browser.submit("/identity", action="/logout")
    browser.login("idv")
    response = desk(browser, code, "verify", **{**GOOD, **change})
    assert response.status_code == 400
    assert message in html.unescape(response.get_data(as_text=True))
    with runtime.session() as s:
        assert s.exec(select(IdentityCheck)).one().status == "started"


def test_unknown_and_used_codes(browser, runtime):
    browser.login("idv")
    assert "No identity check has this code" in desk(browser, "AAAA-BBBB-CCCC").get_data(
        as_text=True)
    browser.submit("/console/", action="/logout")
    code = start_check(browser)
    browser.submit("/identity", action="/logout")
    browser.login("idv")
    desk(browser, code, "reject", reason="photo does not match")
    again = desk(browser, code)
    assert again.status_code == 400 and "already used" in again.get_data(as_text=True)
    with runtime.session() as s:
        check = s.exec(select(IdentityCheck)).one()
        assert (check.status, check.reject_reason) == ("rejected", "photo does not match")


def test_new_code_withdraws_the_old_one(browser, runtime):
    first = start_check(browser)
    second = re.search(r'id="identity-code"><strong>([A-Z0-9-]+)<', browser.submit(
        "/identity", {"consent": "1"}).get_data(as_text=True)).group(1)
    assert first != second
    browser.submit("/identity", action="/logout")
    browser.login("idv")
    assert desk(browser, first).status_code == 400
    assert desk(browser, second).status_code == 200


def test_nobody_verifies_themselves(browser, runtime):
    browser.login("idv")
    page = browser.submit("/identity", {"consent": "1"}).get_data(as_text=True)
    code = re.search(r'id="identity-code"><strong>([A-Z0-9-]+)<', page).group(1)
    response = desk(browser, code, "verify", **GOOD)
    assert response.status_code == 400
    assert "Nobody verifies their own identity" in response.get_data(as_text=True)


def test_consent_required_and_staff_cannot_list_codes(browser, runtime):
    browser.login("gast")
    browser.submit("/identity", {})
    with runtime.session() as s:
        assert s.exec(select(IdentityCheck)).all() == []
    code = start_check(browser)
    browser.submit("/identity", action="/logout")
    browser.login("idv")
    listing = browser.get("/console/identity_checks/").get_data(as_text=True)
    export = browser.get("/console/identity_checks/export/csv/").get_data(as_text=True)
    with runtime.session() as s:
        code_hash = s.exec(select(IdentityCheck)).one().code_hash
    for text in (listing, export):
        assert code not in text and code_hash not in text


def test_other_roles_cannot_use_the_desk(browser):
    for who in ("erika", "admin", "auditor", "nk-itc"):
        browser.login(who)
        assert browser.get("/console/identity-desk/").status_code == 403
        browser.submit("/certificates", action="/logout")


def test_identity_expires(browser, runtime, clock):
    code = start_check(browser)
    browser.submit("/identity", action="/logout")
    browser.login("idv")
    desk(browser, code, "verify", **GOOD)
    clock.advance(days=826)
    assert expire_identities(runtime) == 1
    with runtime.session() as s:
        assert s.exec(select(IdentityCheck)).one().status == "expired"
        person = s.exec(select(Person).where(Person.username == "gast")).one()
        assert person.legal_surname is None
        triggers = [e.trigger for e in s.exec(select(AuditEvent).where(
            AuditEvent.entity_type == "identity").order_by(AuditEvent.seq))]
        assert triggers == ["create", "verify", "expire"]
