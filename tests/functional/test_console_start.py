"""Each role's own start page (issue 12, item 5): network contacts see their institutes'
figures with links to the filtered lists; identity-verification staff today's checks; RA
admins and auditors the whole RA per institute, with a CSV; failed mails and job runs only
RA admins."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta, timezone

from sqlmodel import select
from support import institute_address

from ra_console.models import AuditEvent, Certificate

WAITING = "max.muster@itc.uni.example.org"
ERIKA_ITC = "erika.mustermann@itc.uni.example.org"


def row_of(page: str, code: str) -> str:
    match = re.search(rf'<tr data-institute="{code}">(.*?)</tr>', page, re.S)
    assert match, f"no row for {code}"
    return match.group(1)


def cell(row: str, name: str) -> str:
    return re.search(rf'<td class="{name}[^"]*">(?:<a href="([^"]*)">)?(\d+)', row).groups()


def test_network_contact_sees_only_own_institutes_figures(browser, runtime):
    institute_address(runtime, "max", WAITING, confirm=False)
    browser.login("nk-itc")
    page = browser.get("/console/").get_data(as_text=True)
    link, waiting = cell(row_of(page, "ITC"), "waiting")
    assert waiting == "1"
    assert 'data-institute="PHYS"' not in page
    # nothing they can do nothing about, nothing of the whole RA
    for raw in ('id="stat-dead"', 'id="job-runs"', 'id="stat-sent"', 'id="institutes-csv"'):
        assert raw not in page
    listed = browser.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert WAITING in listed and ERIKA_ITC not in listed
    assert browser.get("/console/export/institutes.csv").status_code == 403
    browser.logout()
    browser.login("nk-phys")
    page = browser.get("/console/").get_data(as_text=True)
    assert cell(row_of(page, "PHYS"), "waiting")[1] == "0"
    assert 'data-institute="ITC"' not in page


def test_unanswered_challenges_and_expiring_certificates(browser, runtime, clock,
                                                         issue_directly):
    institute_address(runtime, "max", WAITING, confirm=False)
    institute_address(runtime, "erika", ERIKA_ITC)
    cert_id = issue_directly(address=ERIKA_ITC)
    with runtime.session() as s:
        # SQLite hands back naive UTC
        not_after = s.get(Certificate, cert_id).not_after.replace(tzinfo=timezone.utc)
    browser.login("nk-itc")
    row = row_of(browser.get("/console/").get_data(as_text=True), "ITC")
    assert cell(row, "unanswered")[1] == "0" and cell(row, "expiring-30")[1] == "0"
    clock.advance(days=8)
    row = row_of(browser.get("/console/").get_data(as_text=True), "ITC")
    assert cell(row, "unanswered")[1] == "1"
    clock.advance(seconds=(not_after - runtime.now()).total_seconds()
                  - timedelta(days=20).total_seconds())
    row = row_of(browser.get("/console/").get_data(as_text=True), "ITC")
    link, soon = cell(row, "expiring-30")
    assert soon == "1" and cell(row, "expiring-60")[1] == "1"
    listed = browser.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert ERIKA_ITC in listed


def test_admin_and_auditor_see_every_institute_and_its_csv(browser, runtime):
    institute_address(runtime, "max", WAITING, confirm=False)
    browser.login("auditor")
    page = browser.get("/console/").get_data(as_text=True)
    assert cell(row_of(page, "ITC"), "waiting")[1] == "1"
    assert cell(row_of(page, "PHYS"), "waiting")[1] == "0"
    assert 'id="stat-sent"' in page
    assert 'id="stat-dead"' not in page and 'id="job-runs"' not in page  # RA admins only
    browser.logout()
    browser.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    browser.login("admin")
    page = browser.get("/console/").get_data(as_text=True)
    assert 'id="stat-dead"' in page and 'id="job-runs"' in page
    response = browser.get("/console/export/institutes.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:3] == ["Kürzel der Einrichtung", "Einrichtung", "Warten auf Bestätigung"]
    itc = next(r for r in rows if r[0] == "ITC")
    assert itc[2] == "1" and itc[3]  # waiting, and since when
    with runtime.session() as s:
        exports = s.exec(select(AuditEvent).where(AuditEvent.entity_type == "export",
                                                  AuditEvent.entity_id == "institute_figures"))
        assert [e.actor for e in exports] == ["admin"]


def test_identity_staff_see_todays_checks(browser):
    browser.login("idv")
    page = browser.get("/console/").get_data(as_text=True)
    assert re.search(r'id="stat-identity-started"><a [^>]*>0<', page)
    browser.logout()
    browser.login("gast")
    browser.submit("/identity", {"consent": "1"})  # gast starts a check: a code to show
    browser.logout()
    browser.login("idv")
    page = browser.get("/console/").get_data(as_text=True)
    assert re.search(r'id="stat-identity-started"><a [^>]*>1<', page)
    assert re.search(r'id="stat-identity-open"><a [^>]*>1<', page)
    assert 'data-institute=' not in page and 'id="stat-sent"' not in page



def test_job_names_in_the_readers_language_from_the_shared_cache(browser, run_jobs):
    run_jobs()
    browser.login("admin")
    browser.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    assert "Abgelaufene Zertifikate" in browser.get("/console/").get_data(as_text=True)
    browser.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = browser.get("/console/").get_data(as_text=True)  # the figures come from the cache
    assert "Expired certificates" in page and "Abgelaufene Zertifikate" not in page
