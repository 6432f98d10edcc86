"""Length and character rules for typed text (pen-test finding 8), at each entry point:
the CSV import preview, the console's address form and the identity desk's neighbours
(tests/functional/test_identity_check.py), sign-in (test_sign_in.py,
test_header_sign_in.py, tests/integration/test_oidc.py)."""

from __future__ import annotations

import html
import io
import re

from sqlmodel import select

from ra_console.models import Mailbox, Person
from ra_console.usecases.addresses import AddressError, person_for
from ra_console.usecases.signin import SignInIdentity, sign_in

HEADER = ("Last Name;First Name;Primary E-Mail;Alias Addresses;Mailboxtype;Applicant E-Mail;"
          "Comment;Username\n")
LONG_USERNAME = "<img src=x onerror=alert(1)>" + "u" * 5000
REPORTED_ROWS = {  # line -> (row, what the preview says)
    2: ("Muster;Max;" + "x" * 200 + "@itc.uni.example.org;;personal;;long;max\n",
        "at most 64 characters before the @"),
    3: (f"Stub;Sam;sam@itc.uni.example.org;;personal;;stub;{LONG_USERNAME}\n",
        "is not a valid user name"),
    4: ("Mustermann;Erika;erika.m@itc.uni.example.org;;personal;;nul\x00here;erika\n",
        "The column 'Comment' contains a control or invisible character"),
    5: ("Team</td><script>;Office;office@itc.uni.example.org;;functional;"
        "erika.mustermann@uni.example.org;markup;\n", "must not contain < or >"),
    6: ("Mustermann;Erika\x07;erika.b@itc.uni.example.org;;personal;;bell;erika\n",
        "The column 'First Name' contains a control"),
}


def _preview(browser, content: str):
    browser.login("nk-itc")
    page = browser.get("/console/csv-import/").get_data(as_text=True)
    institute = re.search(r'<option value="(\d+)">ITC', page).group(1)
    response = browser.submit("/console/csv-import/", {
        "institute_id": institute, "step": "preview",
        "file": (io.BytesIO(content.encode()), "rows.csv")},
        content_type="multipart/form-data")
    return institute, response


def test_csv_preview_refuses_each_reported_input_naming_the_row(browser, runtime):
    content = HEADER + "".join(row for row, _ in REPORTED_ROWS.values())
    _institute, preview = _preview(browser, content)
    assert preview.status_code == 200
    text = html.unescape(preview.get_data(as_text=True))
    rows = dict(re.findall(r'<tr class="row-error"><td>(\d+)</td>(.*?)</tr>', text, re.S))
    assert sorted(int(line) for line in rows) == sorted(REPORTED_ROWS)
    for line, (_, message) in REPORTED_ROWS.items():
        assert message in rows[str(line)], (line, rows[str(line)])
    assert "u" * 100 not in text  # the refused user name is shown shortened
    with runtime.session() as s:
        assert s.exec(select(Mailbox).where(Mailbox.source == "institute")).all() == []
        assert s.exec(select(Person).where(Person.username.like("%img%"))).all() == []


def test_console_form_refuses_a_display_name_with_markup(browser, runtime):
    browser.login("nk-itc")
    page = browser.get("/console/mailboxes/new/").get_data(as_text=True)
    institute = re.search(r'<option value="(\d+)">ITC –', page).group(1)
    response = browser.submit("/console/mailboxes/new/", {
        "institute_id": institute, "primary": "team@itc.uni.example.org", "kind": "functional",
        "applicant": "erika", "display_name": "<b>Team</b>", "comment": ""})
    assert "The display name must not contain &lt; or &gt;" in response.get_data(as_text=True)
    with runtime.session() as s:
        assert s.exec(select(Mailbox).where(Mailbox.source == "institute")).all() == []


def test_no_stub_person_with_a_user_name_no_idm_issues(session):
    for username in (LONG_USERNAME, "erika\x00", "<b>erika</b>", "x" * 129):
        try:
            person_for(session, username)
        except AddressError as refused:
            assert refused.code == "bad_username"
        else:
            raise AssertionError(f"{username[:20]!r} was accepted")
    assert session.exec(select(Person)).all() == []
    assert person_for(session, "erika@uni.example.org").id is not None  # a real one is fine


def test_idm_names_reach_the_database_without_invisible_characters(session):
    """An OpenID Connect claim may carry \\u0000 (JSON allows it); PostgreSQL refuses NUL."""
    person = sign_in(session, SignInIdentity(username="jdoe", given_name="Ja\x00ne\u200b",
                                             surname="D" * 500),
                     idm_domains=[], ip=None, now=None)
    session.commit()
    session.refresh(person)
    assert (person.given_name, person.surname) == ("Jane", "D" * 200)
