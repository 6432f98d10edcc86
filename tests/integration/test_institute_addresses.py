"""Institute addresses end to end: a network contact adds a row with an alias, signed
challenge mails reach a real SMTP server, the person redeems both links, the address
becomes requestable. Plus token misuse, scope across institutes, and the CSV import."""

from __future__ import annotations

import email
import html
import re
import subprocess
from email import policy

import pytest
from sqlmodel import select

from ra_console.models import Challenge, Mailbox, MailboxAddress, OutboxMessage


@pytest.fixture
def config_overrides(smtp_config):
    return smtp_config


def add_row(browser, primary, aliases=(), username="erika", kind="personal", applicant="",
            display_name="", institute="ITC"):
    from ra_console.models import Institute
    page = browser.get("/console/mailboxes/new/").get_data(as_text=True)
    ids = dict((code, value) for value, code in re.findall(
        r'<option value="(\d+)">(\w+) –', page))
    data = {"institute_id": ids.get(institute, "999"), "primary": primary,
            "alias1": aliases[0] if aliases else "", "alias2": aliases[1] if len(aliases) > 1
            else "", "kind": kind, "username": username, "display_name": display_name,
            "applicant": applicant, "comment": "test"}
    assert Institute  # imported for clarity of what ids mean
    return browser.submit("/console/mailboxes/new/", data)


def row_of(runtime, primary) -> Mailbox:
    with runtime.session() as s:
        return s.exec(select(Mailbox).join(MailboxAddress, MailboxAddress.mailbox_id ==
                                           Mailbox.id).where(
            MailboxAddress.address == primary)).one()


def fire_action(browser, mailbox_id, trigger):
    return browser.submit(f"/console/mailboxes/actions/{mailbox_id}", {"comment": "", "confirmed": "y"},
                          action=f"/console/mailboxes/fire/{mailbox_id}/{trigger}")


def links(inbox) -> dict[str, str]:
    found = {}
    for to, content in inbox.messages:
        message = email.message_from_bytes(content, policy=policy.default)
        if "Freischaltung" in message["Subject"] or "Access for" in message["Subject"]:
            body = message.get_body(preferencelist=("plain",)).get_content()
            found[to[0]] = re.search(r"http://\S+/redeem/(\S+)", body).group(1)
    return found


def test_challenge_flow_with_signed_mail(browser, run_jobs, runtime, smtp, tmp_path):
    browser.login("nk-itc")
    created = add_row(browser, "Erika.Mustermann@itc.uni.example.org",
                      aliases=("e.mustermann@itc.uni.example.org",))
    assert created.status_code == 302, created.get_data(as_text=True)[:3000]
    row = row_of(runtime, "erika.mustermann@itc.uni.example.org")
    assert row.status == "new"
    assert fire_action(browser, row.id, "send_challenge").status_code == 302
    assert row_of(runtime, "erika.mustermann@itc.uni.example.org").status == "pending_challenge"
    run_jobs()
    assert len(smtp.messages) == 2
    # the exact bytes delivered verify with openssl against the CA chain
    from pathlib import Path
    ca = Path(runtime.config["pki.local_ca_path"])
    chain = tmp_path / "chain.pem"
    chain.write_bytes((ca / "root.crt").read_bytes() + (ca / "issuing.crt").read_bytes())
    for _to, content in smtp.messages:
        eml = tmp_path / "mail.eml"
        eml.write_bytes(content)
        result = subprocess.run(["openssl", "smime", "-verify", "-in", str(eml), "-CAfile",
                                 str(chain), "-purpose", "any"], capture_output=True)
        assert result.returncode == 0, result.stderr.decode()
        assert b"Verification successful" in result.stderr
    tokens = links(smtp)
    assert set(tokens) == {"Erika.Mustermann@itc.uni.example.org",
                           "e.mustermann@itc.uni.example.org"}
    browser.submit("/console/", action="/logout")
    browser.login("erika")
    home = browser.get("/certificates").get_data(as_text=True)
    assert "Erika.Mustermann@itc.uni.example.org" in home  # waiting for confirmation
    first, second = tokens.values()
    assert browser.submit(f"/redeem/{first}").status_code == 302
    assert row_of(runtime, "erika.mustermann@itc.uni.example.org").status == "pending_challenge"
    assert browser.submit(f"/redeem/{second}").status_code == 302
    assert row_of(runtime, "erika.mustermann@itc.uni.example.org").status == "verified"
    form = browser.get("/certificates/new").get_data(as_text=True)
    assert "Erika.Mustermann@itc.uni.example.org" in form
    assert "e.mustermann@itc.uni.example.org" in form


@pytest.fixture
def pending_row(browser, run_jobs, runtime, smtp):
    browser.login("nk-itc")
    add_row(browser, "erika@itc.uni.example.org")
    row = row_of(runtime, "erika@itc.uni.example.org")
    fire_action(browser, row.id, "send_challenge")
    run_jobs()
    browser.submit("/console/", action="/logout")
    return row, list(links(smtp).values())[0]


def test_token_misuse(browser, run_jobs, runtime, smtp, pending_row, clock):
    row, token = pending_row
    browser.login("max")
    wrong = browser.submit(f"/redeem/{token}")
    assert wrong.status_code == 400 and "meant for another person" in wrong.get_data(
        as_text=True)
    tampered = browser.submit(f"/redeem/{token[:-2]}xx")
    assert tampered.status_code == 400 and "not valid" in tampered.get_data(as_text=True)
    browser.submit("/certificates", action="/logout")
    browser.login("erika")
    clock.advance(hours=25)
    expired = browser.submit(f"/redeem/{token}")
    assert expired.status_code == 400 and "expired" in expired.get_data(as_text=True)
    assert row_of(runtime, "erika@itc.uni.example.org").status == "pending_challenge"


def test_superseded_and_reused_tokens(browser, run_jobs, runtime, smtp, pending_row):
    row, old = pending_row
    browser.login("nk-itc")
    fire_action(browser, row.id, "resend")
    run_jobs()
    browser.submit("/console/", action="/logout")
    new = [t for t in links(smtp).values() if t != old][0]
    browser.login("erika")
    superseded = browser.submit(f"/redeem/{old}")
    assert superseded.status_code == 400 and "replaced" in superseded.get_data(as_text=True)
    assert browser.submit(f"/redeem/{new}").status_code == 302
    again = browser.submit(f"/redeem/{new}")
    assert again.status_code == 400 and "already used" in again.get_data(as_text=True)
    assert row_of(runtime, "erika@itc.uni.example.org").status == "verified"


def test_editing_aliases_kills_pending_challenges(browser, run_jobs, runtime, smtp,
                                                  pending_row):
    row, token = pending_row
    browser.login("nk-itc")
    response = browser.submit(f"/console/mailboxes/edit/?id={row.id}", {
        "alias1": "e2@itc.uni.example.org", "alias2": "", "display_name": "",
        "comment": "alias added"})
    assert response.status_code == 302
    assert row_of(runtime, "erika@itc.uni.example.org").status == "new"
    browser.submit("/console/", action="/logout")
    browser.login("erika")
    assert browser.submit(f"/redeem/{token}").status_code == 400


def test_delete_only_before_the_first_challenge(browser, run_jobs, runtime, smtp,
                                                pending_row):
    row, _token = pending_row
    browser.login("nk-itc")
    page = browser.get(f"/console/mailboxes/actions/{row.id}").get_data(as_text=True)
    assert "/fire/" in page and f"/fire/{row.id}/delete" not in page
    fire_action(browser, row.id, "delete")
    assert row_of(runtime, "erika@itc.uni.example.org").status == "pending_challenge"
    add_row(browser, "fresh@itc.uni.example.org")
    fresh = row_of(runtime, "fresh@itc.uni.example.org")
    fire_action(browser, fresh.id, "delete")
    assert row_of(runtime, "fresh@itc.uni.example.org").status == "deleted"


def test_deactivation_tells_person_and_network_contacts(browser, run_jobs, runtime, smtp,
                                                       pending_row):
    row, _token = pending_row
    smtp.messages.clear()
    browser.login("nk-itc")
    fire_action(browser, row.id, "deactivate")
    run_jobs()
    recipients = sorted(to[0] for to, _ in smtp.messages)
    assert recipients == ["erika.mustermann@uni.example.org", "nora.netz@uni.example.org"]
    with runtime.session() as s:
        assert s.exec(select(Challenge).where(Challenge.superseded_at.is_(None),
                                              Challenge.redeemed_at.is_(None))).all() == []


def test_network_contact_scope(browser, runtime, smtp, run_jobs):
    browser.login("nk-phys")
    add_row(browser, "paul@physik.uni.example.org", username="max", institute="PHYS")
    phys_row = row_of(runtime, "paul@physik.uni.example.org")
    browser.submit("/console/", action="/logout")
    browser.login("nk-itc")
    assert "paul@physik" not in browser.get("/console/mailboxes/").get_data(as_text=True)
    assert "paul@physik" not in browser.get(
        "/console/mailboxes/?search=paul").get_data(as_text=True)
    assert "paul@physik" not in browser.get(
        "/console/mailboxes/export/csv/").get_data(as_text=True)
    assert browser.get(f"/console/mailboxes/details/?id={phys_row.id}").status_code in (302, 404)
    assert browser.get(f"/console/mailboxes/actions/{phys_row.id}").status_code == 404
    assert fire_action(browser, phys_row.id, "send_challenge").status_code == 404
    edit = browser.submit("/console/mailboxes/", {"alias1": "x@physik.uni.example.org"},
                          action=f"/console/mailboxes/edit/?id={phys_row.id}")
    assert edit.status_code in (302, 404)
    # adding a PHYS address as ITC is refused (foreign domain), also with a forged institute
    refused = add_row(browser, "evil@physik.uni.example.org")
    assert "not in the institute's mail domains" in html.unescape(
        refused.get_data(as_text=True))
    forged = add_row(browser, "evil2@physik.uni.example.org", institute="PHYS")
    assert forged.status_code in (200, 302)
    with runtime.session() as s:
        assert s.exec(select(MailboxAddress).where(
            MailboxAddress.address.like("evil%"))).all() == []
        assert row_of(runtime, "paul@physik.uni.example.org").status == "new"
        assert s.exec(select(OutboxMessage)).all() == []


CSV_WITH_MISTAKES = (
    "\ufeffLast Name;First Name;Primary E-Mail;Alias Addresses;Mailboxtype;Applicant E-Mail;"
    "Comment;Username\n"
    "Mustermann;Erika;erika.m@itc.uni.example.org;em@itc.uni.example.org;personal;;ok;erika\n"
    "Muster;Max;not an address;;personal;;bad address;max\n"
    "Muster;Max;max@physik.uni.example.org;;personal;;foreign domain;max\n"
    "Mustermann;Erika;erika.m@itc.uni.example.org;;personal;;duplicate;erika\n"
    "Muster;Max;max1@itc.uni.example.org;a@itc.uni.example.org b@itc.uni.example.org "
    "c@itc.uni.example.org;personal;;three aliases;max\n"
    "Muster;Max;max2@itc.uni.example.org;;robot;;unknown type;max\n"
    "Office;ITC;office@itc.uni.example.org;;functional;nobody@uni.example.org;no applicant;\n"
    "Netz;Nora;nora@itc.uni.example.org;;personal;;no username given, found by name;\n"
)


def test_csv_import_with_mistakes(browser, runtime, smtp, run_jobs):
    browser.login("nk-itc")
    page = browser.get("/console/csv-import/").get_data(as_text=True)
    institute = re.search(r'<option value="(\d+)">ITC', page).group(1)
    import io
    preview = browser.submit("/console/csv-import/", {
        "institute_id": institute, "step": "preview",
        "file": (io.BytesIO(CSV_WITH_MISTAKES.encode()), "rows.csv")},
        content_type="multipart/form-data")
    text = html.unescape(preview.get_data(as_text=True))
    assert preview.status_code == 200, text[:2000]
    assert text.count('class="row-create"') == 2
    assert text.count('class="row-error"') == 6
    for phrase in ("not a valid e-mail address", "not in the institute's mail domains",
                   "more than once", "At most 2 aliases", "Unknown mailbox type",
                   "No person has the confirmed address"):
        assert phrase in text, phrase
    with runtime.session() as s:
        assert s.exec(select(Mailbox).where(Mailbox.source == "institute")).all() == []
    content = re.search(r'name="content" value="([^"]+)"', text).group(1)
    done = browser.submit("/console/csv-import/", {
        "institute_id": institute, "step": "import", "content": content,
        "send_challenges": "1"})
    assert done.status_code == 302
    with runtime.session() as s:
        rows = s.exec(select(MailboxAddress).join(Mailbox, Mailbox.id ==
                                                  MailboxAddress.mailbox_id).where(
            Mailbox.source == "institute")).all()
        assert sorted(a.address for a in rows) == [
            "em@itc.uni.example.org", "erika.m@itc.uni.example.org", "nora@itc.uni.example.org"]
        assert {m.status for m in s.exec(select(Mailbox).where(
            Mailbox.source == "institute"))} == {"pending_challenge"}
    run_jobs()
    assert len(smtp.messages) == 3


def test_csv_broken_encoding_and_foreign_institute(browser, runtime, smtp):
    import io
    browser.login("nk-itc")
    page = browser.get("/console/csv-import/").get_data(as_text=True)
    itc = re.search(r'<option value="(\d+)">ITC', page).group(1)
    broken = ("Last Name;First Name;Primary E-Mail;Alias Addresses;Mailboxtype;"
              "Applicant E-Mail;Comment\nM\xfcller;A;a@itc.uni.example.org;;personal;;\n"
              ).encode("latin-1")
    response = browser.submit("/console/csv-import/", {
        "institute_id": itc, "file": (io.BytesIO(broken), "x.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 400 and "not UTF-8" in response.get_data(as_text=True)
    phys_id = str(int(itc) + 1)
    forged = browser.submit("/console/csv-import/", {
        "institute_id": phys_id, "file": (io.BytesIO(CSV_WITH_MISTAKES.encode()), "x.csv")},
        content_type="multipart/form-data")
    assert forged.status_code == 400
    with runtime.session() as s:
        assert s.exec(select(Mailbox).where(Mailbox.source == "institute")).all() == []


def test_functional_mailbox_needs_name_approval(browser, runtime, smtp, run_jobs):
    browser.login("nk-itc")
    created = add_row(browser, "office@itc.uni.example.org", kind="functional",
                      applicant="erika", display_name="ITC Office", username="")
    assert created.status_code == 302, created.get_data(as_text=True)[:2000]
    row = row_of(runtime, "office@itc.uni.example.org")
    fire_action(browser, row.id, "send_challenge")
    assert row_of(runtime, "office@itc.uni.example.org").status == "new"  # not approved yet
    browser.submit("/console/", action="/logout")
    browser.login("admin")
    assert "office@itc.uni.example.org" in browser.get("/console/name_approvals/").get_data(
        as_text=True)
    approve = browser.submit(f"/console/mailboxes/actions/{row.id}",
                             action=f"/console/mailboxes/approve-name/{row.id}")
    assert approve.status_code == 302
    fire_action(browser, row.id, "send_challenge")
    assert row_of(runtime, "office@itc.uni.example.org").status == "pending_challenge"
    run_jobs()
    # sent to the functional address itself, to be redeemed by the applicant
    assert [to for to, _ in smtp.messages] == [["office@itc.uni.example.org"]]


def csv_import(browser, rows: str):
    """Preview and import `rows` (after the header) for ITC, as a network contact does."""
    import io
    header = ("Last Name;First Name;Primary E-Mail;Alias Addresses;Mailboxtype;"
              "Applicant E-Mail;Comment;Username\n")
    page = browser.get("/console/csv-import/").get_data(as_text=True)
    institute = re.search(r'<option value="(\d+)">ITC', page).group(1)
    preview = browser.submit("/console/csv-import/", {
        "institute_id": institute, "step": "preview",
        "file": (io.BytesIO((header + rows).encode()), "rows.csv")},
        content_type="multipart/form-data")
    content = re.search(r'name="content" value="([^"]+)"', preview.get_data(as_text=True))
    return browser.submit("/console/csv-import/", {
        "institute_id": institute, "step": "import", "content": content.group(1)})


def challenged_alias_row(browser, run_jobs, runtime, smtp):
    """A row whose alias got a challenge mail; returns the row and the alias's link."""
    browser.login("nk-itc")
    add_row(browser, "erika@itc.uni.example.org", aliases=("e1@itc.uni.example.org",))
    row = row_of(runtime, "erika@itc.uni.example.org")
    fire_action(browser, row.id, "send_challenge")
    run_jobs()
    return row, links(smtp)["e1@itc.uni.example.org"]


def history(runtime, row) -> list[tuple[str, bool]]:
    """(address, still linked to its address row) of every challenge the row ever had."""
    with runtime.session() as s:
        return sorted((c.address, c.address_id is not None) for c in s.exec(
            select(Challenge).where(Challenge.mailbox_id == row.id)))


def removed_alias_is_history(browser, runtime, row, token) -> None:
    assert history(runtime, row) == [("e1@itc.uni.example.org", False),
                                     ("erika@itc.uni.example.org", True)]
    with runtime.session() as s:
        assert s.exec(select(MailboxAddress).where(
            MailboxAddress.address == "e1@itc.uni.example.org")).first() is None
    browser.submit("/console/", action="/logout")
    browser.login("erika")
    dead = browser.submit(f"/redeem/{token}")
    assert dead.status_code == 400 and "replaced" in dead.get_data(as_text=True)


def test_removing_a_challenged_alias_in_the_console_keeps_its_challenge(
        browser, run_jobs, runtime, smtp):
    row, token = challenged_alias_row(browser, run_jobs, runtime, smtp)
    response = browser.submit(f"/console/mailboxes/edit/?id={row.id}", {
        "alias1": "", "alias2": "", "display_name": "", "comment": "alias gone"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert row_of(runtime, "erika@itc.uni.example.org").status == "new"
    removed_alias_is_history(browser, runtime, row, token)
    # the row can be challenged again, and is not "never challenged" (no delete)
    browser.submit("/certificates", action="/logout")
    browser.login("nk-itc")
    fire_action(browser, row.id, "delete")
    assert row_of(runtime, "erika@itc.uni.example.org").status == "new"
    fire_action(browser, row.id, "send_challenge")
    assert row_of(runtime, "erika@itc.uni.example.org").status == "pending_challenge"


def test_replacing_a_challenged_alias_by_csv_keeps_its_challenge(browser, run_jobs, runtime,
                                                                  smtp):
    row, token = challenged_alias_row(browser, run_jobs, runtime, smtp)
    done = csv_import(browser, "Mustermann;Erika;erika@itc.uni.example.org;"
                               "e2@itc.uni.example.org;personal;;replaced;erika\n")
    assert done.status_code == 302, done.get_data(as_text=True)[:500]
    with runtime.session() as s:
        aliases = s.exec(select(MailboxAddress.address).where(
            MailboxAddress.mailbox_id == row.id, ~MailboxAddress.is_primary)).all()
    assert aliases == ["e2@itc.uni.example.org"]
    removed_alias_is_history(browser, runtime, row, token)
