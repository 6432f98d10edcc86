"""Console rows with a face (headings name the address, the person, the certificate),
danger that looks like danger (destructive actions need a confirmation that names what
happens), revocation on behalf with the reasons the S/MIME BR allow, revocation by
selection, and functional mailboxes that say what they wait for."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from sqlmodel import select

from ra_console.console.faces import colon_serial
from ra_console.models import AuditEvent, Certificate, Institute, Mailbox
from ra_console.usecases.addresses import MailboxInput, add_mailbox
from ra_console.workflow.actor import SYSTEM

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def h1(page: str) -> str:
    return re.sub(r"<[^>]+>", "", re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1))


def cert(runtime, cert_id: int) -> Certificate:
    with runtime.session() as s:
        return s.get(Certificate, cert_id)


def new_row(runtime, primary: str, **fields) -> Mailbox:
    with runtime.session() as s:
        itc = s.exec(select(Institute).where(Institute.code == "ITC")).one()
        row = add_mailbox(s, SYSTEM, itc, MailboxInput(primary=primary, **fields),
                          max_aliases=2)
        s.commit()
        return row


def flashes(browser) -> str:
    return browser.get("/console/").get_data(as_text=True)


@pytest.mark.parametrize("lang, serial_word", [("en", "serial number"), ("de", "Seriennummer")])
def test_headings_name_the_row_not_its_id(browser, runtime, issue_directly, lang,
                                          serial_word):
    issued = cert(runtime, issue_directly())
    row = new_row(runtime, "Anna.Face@itc.uni.example.org", username="max")
    browser.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
    browser.login("admin")
    page = browser.get(f"/console/certificates/actions/{issued.id}").get_data(as_text=True)
    heading = h1(page)
    assert issued.addresses[0] in heading and colon_serial(issued.serial) in heading
    assert serial_word in heading and not UUID.search(heading)
    assert issued.public_id in page  # still there, in the details
    details = browser.get(f"/console/certificates/details/?id={issued.id}").get_data(
        as_text=True)
    assert issued.addresses[0] in h1(details) and not UUID.search(h1(details))
    assert "Max Mustermann" in details or "(erika)" in details  # the person, by name
    page = browser.get(f"/console/mailboxes/actions/{row.id}").get_data(as_text=True)
    assert h1(page) == "Anna.Face@itc.uni.example.org"
    assert 'class="breadcrumb"' in page


def test_certificate_list_shows_person_and_institute_and_finds_serials(
        browser, runtime, issue_directly):
    issued = cert(runtime, issue_directly())
    browser.login("admin")
    listing = browser.get("/console/certificates/").get_data(as_text=True)
    assert "(erika)" in listing and "col-person" in listing and "col-mailbox-institute" in listing
    assert colon_serial(issued.serial) in listing

    def finds(term: str) -> bool:
        return issued.public_id in browser.get(
            "/console/certificates/?search=" + quote(term)).get_data(as_text=True)

    padded = "0" + issued.serial if len(issued.serial) % 2 else issued.serial
    assert finds(colon_serial(issued.serial))            # 0A:1B:… as viewers show it
    assert finds(colon_serial(issued.serial).lower())    # any case
    assert finds(padded.upper())                         # without colons
    fingerprint = issued.spki_sha256
    assert finds(":".join(fingerprint[i:i + 2] for i in range(0, 32, 2)).upper())
    assert not finds("FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF:FF")


def test_destructive_actions_are_danger_and_need_a_named_confirmation(browser, runtime):
    row = new_row(runtime, "gone@itc.uni.example.org", username="max")
    browser.login("nk-itc")
    page = browser.get(f"/console/mailboxes/actions/{row.id}").get_data(as_text=True)
    delete = page[page.index('id="action-delete"'):]
    delete = delete[:delete.index("</form>")]
    assert "btn-danger" in delete and 'name="confirmed"' in delete and "required" in delete
    assert "The row gone@itc.uni.example.org will be deleted." in delete
    send = page[page.index('id="action-send_challenge"'):]
    assert "btn-primary" in send[:send.index("</form>")]
    # without the tick nothing happens, whatever the client sends
    browser.submit(f"/console/mailboxes/actions/{row.id}", {"comment": ""},
                   action=f"/console/mailboxes/fire/{row.id}/delete")
    with runtime.session() as s:
        assert s.get(Mailbox, row.id).status == "new"
    assert "please tick the confirmation first" in flashes(browser)
    browser.submit(f"/console/mailboxes/actions/{row.id}", {"confirmed": "y"},
                   action=f"/console/mailboxes/fire/{row.id}/delete")
    with runtime.session() as s:
        assert s.get(Mailbox, row.id).status == "deleted"
    assert "gone@itc.uni.example.org is deleted." in flashes(browser)


def test_deactivation_says_how_many_certificates_will_be_revoked(browser, runtime,
                                                                   issue_directly):
    issued = cert(runtime, issue_directly())
    browser.login("admin")
    page = browser.get(f"/console/mailboxes/actions/{issued.mailbox_id}").get_data(
        as_text=True)
    days = runtime.config["lifecycle.offboarding_grace_days"]
    assert re.search(rf"1 valid certificate of {re.escape(issued.addresses[0])}.* will be "
                     rf"revoked in {days} days\.", page)


@pytest.mark.parametrize("lang, sent", [
    ("en", "Challenge e-mail sent to Anna.Sent@itc.uni.example.org."),
    ("de", "Challenge-Mail an Anna.Sent@itc.uni.example.org gesendet.")])
def test_flash_says_what_happened_in_words(browser, runtime, lang, sent):
    row = new_row(runtime, "Anna.Sent@itc.uni.example.org", username="max")
    browser.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
    browser.login("nk-itc")
    browser.submit(f"/console/mailboxes/actions/{row.id}", {"comment": ""},
                   action=f"/console/mailboxes/fire/{row.id}/send_challenge")
    page = flashes(browser)
    assert sent in page and "send_challenge" not in page


def test_revocation_on_behalf_takes_a_reason_the_br_allow(browser, runtime, issue_directly):
    issued = cert(runtime, issue_directly())
    browser.login("admin")
    page = browser.get(f"/console/certificates/actions/{issued.id}").get_data(as_text=True)
    options = re.findall(r'<option[^>]*value="(\w+)"', page)
    assert options == ["keyCompromise", "affiliationChanged", "superseded",
                       "cessationOfOperation", "privilegeWithdrawn", "unspecified"]
    assert "Private key compromised" in page
    url = f"/console/certificates/fire/{issued.id}/revoke"
    for free_text in ("because he left", ""):  # the comment box is no longer the reason
        response = browser.submit(f"/console/certificates/actions/{issued.id}",
                                  {"reason": free_text, "confirmed": "y"}, action=url)
        assert response.status_code == 400
    assert cert(runtime, issued.id).status == "issued"
    browser.submit(f"/console/certificates/actions/{issued.id}",
                   {"reason": "privilegeWithdrawn", "confirmed": "y"}, action=url)
    revoked = cert(runtime, issued.id)
    assert (revoked.status, revoked.revocation_reason) == ("revoked", "privilegeWithdrawn")
    with runtime.session() as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.trigger == "revoke")).one()
        assert event.data.get("reason") == "privilegeWithdrawn" and "comment" not in event.data


def _select_and_revoke(browser, ids: list[int]):
    return browser.submit("/console/certificates/", {
        "action": "revoke", "rowid": [str(i) for i in ids]},
        action="/console/certificates/action/")


def test_revocation_by_selection(browser, runtime, issue_directly):
    first, second = cert(runtime, issue_directly()), cert(runtime, issue_directly(
        username="max"))
    browser.login("admin")
    response = _select_and_revoke(browser, [first.id, second.id])
    assert response.status_code == 302 and "/revoke-selected/" in response.location
    summary = browser.get(response.location).get_data(as_text=True)
    assert "2 selected certificates will be revoked." in summary
    assert colon_serial(first.serial) in summary and colon_serial(second.serial) in summary
    browser.submit(response.location, {"reason": "cessationOfOperation"})  # no tick
    assert {cert(runtime, c.id).status for c in (first, second)} == {"issued"}
    browser.submit(response.location, {"reason": "cessationOfOperation", "confirmed": "y",
                                       "comment": "Projekt beendet"})
    assert {cert(runtime, c.id).status for c in (first, second)} == {"revoked"}
    with runtime.session() as s:
        events = s.exec(select(AuditEvent).where(AuditEvent.trigger == "revoke")).all()
    # each certificate its own fire() and its own audit event, with reason and comment
    assert sorted(e.entity_id for e in events) == sorted([first.public_id, second.public_id])
    assert all(e.data["reason"] == "cessationOfOperation"
               and e.data["comment"] == "Projekt beendet" for e in events)
    assert "2 certificates revoked." in flashes(browser)


@pytest.mark.parametrize("who", ["auditor", "nk-itc"])
def test_only_ra_admins_revoke_by_selection(browser, runtime, issue_directly, who):
    issued = cert(runtime, issue_directly())
    browser.login(who)
    _select_and_revoke(browser, [issued.id])
    token = browser.token("/certificates")
    url = f"/console/certificates/revoke-selected/?ids={issued.id}"
    assert browser.client.get(url).status_code == 403
    assert browser.client.post(url, data={"csrf_token": token, "reason": "superseded",
                                          "confirmed": "y"}).status_code == 403
    assert cert(runtime, issued.id).status == "issued"


def test_functional_mailbox_says_it_waits_for_the_name_approval(browser, runtime):
    row = new_row(runtime, "team@itc.uni.example.org", kind="functional",
                  display_name="Team ITC", applicant="max")
    browser.login("nk-itc")
    listing = browser.get("/console/mailboxes/").get_data(as_text=True)
    assert "New: display name waits for the RA&#39;s approval" in listing
    page = browser.get(f"/console/mailboxes/actions/{row.id}").get_data(as_text=True)
    assert 'id="name-approval-pending"' in page and "Team ITC" in page
    assert 'id="action-send_challenge"' not in page
    browser.login("admin")
    browser.submit(f"/console/mailboxes/actions/{row.id}",
                   action=f"/console/mailboxes/approve-name/{row.id}")
    browser.login("nk-itc")
    page = browser.get(f"/console/mailboxes/actions/{row.id}").get_data(as_text=True)
    assert 'id="name-approval-pending"' not in page and 'id="action-send_challenge"' in page
    listing = browser.get("/console/mailboxes/").get_data(as_text=True)
    assert "display name waits" not in listing


def test_roles_and_domains_name_people_and_institutes(browser, runtime):
    """The roles list, its details and its export show the person's name and address and
    the institute's name, never their numbers; the form takes a user name."""
    from ra_console.models import Person, RoleAssignment

    browser.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    browser.login("admin")
    page = browser.get("/console/roles/").get_data(as_text=True)
    table = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page[page.index("<table"):]))
    assert "Nora Netz (nk-itc) nora.netz@uni.example.org Netzwerkkontakt ITC" in table
    assert "Arne Admin (admin) arne.admin@uni.example.org RA-Admin" in table
    with runtime.session() as s:
        nora = s.exec(select(Person).where(Person.username == "nk-itc")).one()
        role = s.exec(select(RoleAssignment).where(RoleAssignment.person_id == nora.id)).one()
    details = browser.get(f"/console/roles/details/?id={role.id}").get_data(as_text=True)
    assert "Nora Netz (nk-itc)" in details and "nora.netz@uni.example.org" in details
    export = browser.get("/console/roles/export/csv/").get_data(as_text=True)
    assert "Nora Netz (nk-itc),nora.netz@uni.example.org,Netzwerkkontakt,ITC – " in export
    assert not re.search(rf"^{nora.id},", export, re.M)
    domains = browser.get("/console/domains/").get_data(as_text=True)
    assert re.search(r"physik\.uni\.example\.org\s*</td>\s*<td[^>]*>\s*PHYS – ", domains)

    form = browser.get("/console/roles/new/").get_data(as_text=True)
    assert "Benutzerkennung der Person" in form and ">ITC – " in form
    refused = browser.submit("/console/roles/new/", {"person_id": "nobody", "role": "auditor",
                                                     "institute_id": ""})
    assert refused.status_code == 200
    assert "Niemand hat die Benutzerkennung „nobody“." in refused.get_data(as_text=True)


def test_audit_list_names_the_person_of_role_and_person_events(browser, runtime):
    """A role granted to max: the audit list names him, the export keeps his number."""
    from ra_console.models import Person

    browser.login("admin")
    assert browser.submit("/console/roles/new/", {"person_id": "max", "role": "auditor",
                                                  "institute_id": ""}).status_code == 302
    with runtime.session() as s:
        max_id = s.exec(select(Person).where(Person.username == "max")).one().id
    page = browser.get("/console/audit/?flt0_trigger_equals=role_granted").get_data(as_text=True)
    cell = re.search(r'<td class="col-entity_id">\s*(.*?)\s*</td>', page, re.S)
    assert cell and cell.group(1) == "Max Muster (max)"
    export = browser.get("/console/audit/export/csv/").get_data(as_text=True)
    assert re.search(rf",{max_id},", export)


def test_listed_cells_say_what_the_column_formatters_say(app, runtime, issue_directly):
    """The certificate list renders plain rows with its own cell formatting
    (CertificateView.listed_cells); for every listed column it must show what the view's
    formatters show for the entity (details, export), here with a legal name and an
    institute set."""
    from flask import g

    from ra_console.models import Person
    from ra_console.queries.certificate_list import listed_certificates
    from ra_console.web.current import actor_for

    cert_id = issue_directly()
    with runtime.session() as s:
        row = s.get(Certificate, cert_id)
        itc = s.exec(select(Institute).where(Institute.code == "ITC")).one()
        s.get(Mailbox, row.mailbox_id).institute_id = itc.id
        person = s.get(Person, row.person_id)
        person.legal_given_name, person.legal_surname = "Erika Maria", "Mustermann-Groß"
        s.commit()
    view = next(v for v in app.extensions["admin"][0]._views
                if getattr(v, "endpoint", "") == "certificates")
    for lang in ("de", "en"):
        with app.test_request_context("/console/certificates/",
                                      headers={"Accept-Language": lang}):
            with runtime.session() as s:
                admin = s.exec(select(Person).where(Person.username == "admin")).one()
                g.person, g.actor = admin, actor_for(admin, s)
            [listed] = listed_certificates(view.session, [cert_id])
            entity = view.get_query().filter(Certificate.id == cert_id).one()
            expected = [(c, str(view.get_list_value(None, entity, c))) for c in view.column_list]
            assert view.listed_cells(listed) == expected
            cells = dict(expected)
            assert cells["mailbox.institute"] == "ITC" and "Mustermann-Groß" in cells["person"]
