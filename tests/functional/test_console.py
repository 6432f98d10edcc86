"""The operator console: dashboard, scoped lists, workflow actions, exports, audit checks."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, text
from sqlmodel import select

from ra_console.models import AuditEvent, Certificate, OutboxMessage


@pytest.fixture
def make_certificate(request_certificate, run_jobs, browser):
    """An issued (or only sent) certificate of `who`, then nobody signed in."""
    def make(who="erika", issue=True) -> str:
        public_id = request_certificate(who)
        if issue:
            run_jobs()
        browser.logout()
        return public_id
    return make


def cert_row(runtime, public_id) -> Certificate:
    with runtime.session() as s:
        return s.exec(select(Certificate).where(Certificate.public_id == public_id)).one()


def test_dashboard_counts(browser, make_certificate, runtime):
    make_certificate()
    make_certificate("max", issue=False)
    browser.login("admin")
    page = browser.get("/console/").get_data(as_text=True)
    assert re.search(r'id="stat-sent">1<', page)
    assert re.search(r'id="stat-dead">0<', page)
    month = runtime.now().strftime("%Y-%m")
    assert f"<title>{month}: 1</title>" in page  # the issued-per-month chart: erika's
    runs = page[page.index('id="job-runs"'):]
    assert "Outbox (mails, CA, directory)" in runs and "Expired certificates" in runs  # job runs


def test_certificate_search(browser, make_certificate, runtime):
    """Names, address prefixes, serials and ids find their certificate; a term is only
    looked for in the columns that could hold it (no digits in names, only hex digits in
    serials and ids) without changing what is found."""
    from urllib.parse import quote

    erika, max_ = make_certificate(), make_certificate("max", issue=False)
    erika_row, max_row = cert_row(runtime, erika), cert_row(runtime, max_)
    browser.login("admin")

    def found(term: str) -> set[str]:
        page = browser.get("/console/certificates/?search=" + quote(term)).get_data(
            as_text=True)
        return {public_id for public_id in (erika, max_) if public_id in page}

    assert found(erika_row.common_name) == {erika}
    assert found(max_row.common_name.split()[0]) == {max_}  # "Max"
    assert found("^" + erika_row.addresses[0].split("@")[0]) == {erika}
    assert found(max_row.addresses[0]) == {max_}
    assert found(erika_row.serial[:12]) == {erika}
    assert found(max_[:8]) == {max_}
    assert found(erika_row.common_name + "2") == set()
    assert found("zzz-no-such") == set()
    statements = []
    event.listen(runtime.engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *rest: statements.append(statement))
    found("^staff2482")  # a term with a digit: no name can hold it, no trigram scan of names
    counts = [s for s in statements if "count(" in s]
    assert counts and all("common_name" not in s.partition("WHERE")[2]
                          and "certificate_name" not in s.partition("WHERE")[2] for s in counts)


def test_name_search_counts_and_pages(browser, make_certificate, runtime):
    """The ranked name search (one statement for count, page and rows) counts every match,
    pages through them and shows an empty page past the end with the count."""
    from urllib.parse import quote

    first, second = make_certificate(), make_certificate("max")
    assert (cert_row(runtime, first).common_name, cert_row(runtime, second).common_name) \
        == ("Erika Mustermann", "Max Muster")
    name = quote("Muster")  # both: Max's whole name first, then Erika's word start
    browser.login("admin")

    def listing(query: str) -> str:
        return browser.get(f"/console/certificates/?{query}").get_data(as_text=True)

    page = listing(f"search={name}")
    assert "List (2)" in page and page.index(second) < page.index(first)
    past = listing(f"search={name}&page=5")
    assert "List (2)" in past and first not in past and second not in past
    assert "List (" not in listing("search=Nobody")


def test_whole_fingerprint_and_id_are_looked_up_by_key(browser, make_certificate, runtime):
    """A whole key fingerprint (as a viewer shows it, or plain) or reference id finds its
    certificate by equality on the B-tree index, not by a trigram scan; a term longer than
    any hexadecimal column finds nothing; a fingerprint keeps its leading zeros."""
    from urllib.parse import quote

    from ra_console.console.views import _hex_term

    erika = make_certificate()
    row = cert_row(runtime, erika)
    browser.login("admin")
    statements = []
    event.listen(runtime.engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *rest: statements.append(statement))

    def found(term: str) -> bool:
        statements.clear()
        page = browser.get("/console/certificates/?search=" + quote(term)).get_data(
            as_text=True)
        return erika in page

    colon = ":".join(row.spki_sha256[i:i + 2] for i in range(0, 64, 2)).upper()
    for term in (colon, row.spki_sha256, erika.upper()):
        assert found(term), term
        where = [s.partition("WHERE")[2] for s in statements if "count(" in s]
        assert where and "LIKE" not in where[0].upper(), (term, where)  # equality only
    assert not found(row.spki_sha256 + "0")
    assert _hex_term("0A:" + ":".join(["BB"] * 31)) == "0a" + "bb" * 31
    assert _hex_term("00:0A:1B") == "a1b"  # a serial: format(n, "x") has no leading zeros


def test_dashboard_failed_checks_counted_and_figures_reused(browser, runtime, clock):
    from ra_console.adapters.outbox import enqueue

    browser.login("admin")
    page = browser.get("/console/").get_data(as_text=True)
    assert re.search(r'id="stat-failed-checks"><a href="[^"]*flt0_kind_equals=mail.alert">0<',
                     page)
    assert 'id="counted-at"' in page
    with runtime.session() as s:  # what jobs/handlers.py _alert leaves for a failed check
        enqueue(s, "mail.alert", {"certificate": "c1", "kind": "lint", "problems": []},
                "mail.alert:lint:c1")
        enqueue(s, "mail", {"certificate": "c1", "template": "issued"}, "mail:issued:c1")
        s.commit()
    # within dashboard_cache_seconds the counted figures are shown again
    page = browser.get("/console/").get_data(as_text=True)
    assert re.search(r'id="stat-failed-checks"><a [^>]*>0<', page)
    clock.advance(seconds=runtime.config["dashboard_cache_seconds"] + 1)
    page = browser.get("/console/").get_data(as_text=True)
    assert re.search(r'id="stat-failed-checks"><a [^>]*>1<', page)
    listed = browser.get("/console/outbox/?flt0_kind_equals=mail.alert").get_data(as_text=True)
    assert len(re.findall(r'name="rowid"[^>]* value="\d+"', listed)) == 1  # the alert only
    clock.advance(days=31)  # older alerts drop out of the figure
    page = browser.get("/console/").get_data(as_text=True)
    assert re.search(r'id="stat-failed-checks"><a [^>]*>0<', page)


def test_admin_revokes_on_behalf_with_reason(browser, make_certificate, runtime):
    public_id = make_certificate()
    row = cert_row(runtime, public_id)
    browser.login("admin")
    actions = browser.get(f"/console/certificates/actions/{row.id}").get_data(as_text=True)
    assert "Revoke certificate" in actions and "stateDiagram-v2" in actions
    response = browser.submit(f"/console/certificates/actions/{row.id}",
                              {"reason": "keyCompromise", "confirmed": "y"},
                              action=f"/console/certificates/fire/{row.id}/revoke")
    assert response.status_code == 302
    row = cert_row(runtime, public_id)
    assert (row.status, row.revocation_reason) == ("revoked", "keyCompromise")
    with runtime.session() as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.trigger == "revoke")).one()
        assert (event.actor, event.role) == ("admin", "ra_admin")


def test_network_contact_sees_only_own_institute(browser, make_certificate, runtime):
    public_id = make_certificate()  # an IdM address: no institute
    row = cert_row(runtime, public_id)
    browser.login("nk-itc")
    listing = browser.get("/console/certificates/").get_data(as_text=True)
    assert public_id not in listing
    assert browser.get(f"/console/certificates/details/?id={row.id}").status_code in (302, 404)
    assert browser.get(f"/console/certificates/actions/{row.id}").status_code == 404
    export = browser.get("/console/certificates/export/csv/").get_data(as_text=True)
    assert public_id not in export


def test_auditor_reads_and_exports_but_cannot_act(browser, make_certificate, runtime):
    public_id = make_certificate()
    row = cert_row(runtime, public_id)
    browser.login("auditor")
    assert public_id in browser.get("/console/certificates/").get_data(as_text=True)
    export = browser.get("/console/certificates/export/csv/")
    assert export.status_code == 200 and public_id in export.get_data(as_text=True)
    assert "BEGIN CERTIFICATE REQUEST" not in export.get_data(as_text=True)
    header = export.get_data(as_text=True).splitlines()[0]
    assert "Key algorithm" in header and "CA reference" in header  # in the export, not the list
    page = browser.get(f"/console/certificates/actions/{row.id}").get_data(as_text=True)
    assert "/fire/" not in page
    token = browser.token("/certificates")
    response = browser.client.post(f"/console/certificates/fire/{row.id}/revoke",
                                   data={"csrf_token": token, "comment": ""})
    assert response.status_code == 403
    assert cert_row(runtime, public_id).status == "issued"
    with runtime.session() as s:
        exported = s.exec(select(AuditEvent).where(AuditEvent.trigger == "export")).all()
        assert [(e.actor, e.role) for e in exported] == [("auditor", "auditor")]


def test_user_cannot_open_the_console(browser):
    browser.login("erika")
    assert browser.get("/console/").status_code == 403
    assert browser.get("/console/audit/").status_code == 403


def test_audit_chain_tamper_shown_in_console(browser, make_certificate, runtime):
    make_certificate()
    browser.login("auditor")
    assert 'id="chain-ok"' in browser.get("/console/audit-verify/").get_data(as_text=True)
    with runtime.engine.begin() as connection:
        connection.execute(text("UPDATE audit_event SET actor = 'mallory' WHERE seq = 3"))
    page = browser.get("/console/audit-verify/").get_data(as_text=True)
    assert 'id="chain-broken"' in page and "event #3 was changed" in page


def test_rewound_audit_head_shown_in_console_in_german(browser, make_certificate, runtime):
    make_certificate()
    browser.login("auditor")
    with runtime.engine.begin() as connection:
        last = connection.execute(text("SELECT MAX(seq) FROM audit_event")).scalar()
        connection.execute(text("DELETE FROM audit_event WHERE seq = :s"), {"s": last})
        connection.execute(text("UPDATE audit_head SET seq = :s, hash = (SELECT hash FROM "
                                "audit_event WHERE seq = :s)"), {"s": last - 1})
    page = browser.get("/console/audit-verify/", headers={"Accept-Language": "de"})
    assert page.status_code == 200
    assert f"die Ereignisse #{last} bis #{last} fehlen (bezeugt um" in page.get_data(
        as_text=True)


def test_dead_outbox_message_retry(browser, runtime):
    from ra_console.adapters import outbox

    with runtime.session() as s:
        message = outbox.enqueue(s, "mail", {}, "dead-one")
        message.state = "dead"
        s.commit()
        message_id = message.id
    browser.login("admin")
    page = browser.get("/console/outbox/?flt0_0=dead").get_data(as_text=True)
    assert "dead" in page
    token = browser.token("/console/outbox/")
    response = browser.client.post("/console/outbox/action/", data={
        "csrf_token": token, "action": "retry", "rowid": str(message_id)})
    assert response.status_code == 302
    with runtime.session() as s:
        assert s.get(OutboxMessage, message_id).state == "pending"


def test_role_grant_is_audited(browser, runtime):
    from ra_console.models import Person, RoleAssignment

    with runtime.session() as s:
        max_id = s.exec(select(Person).where(Person.username == "max")).one().id
    browser.login("admin")
    # the form takes the user name, not the person's number
    response = browser.submit("/console/roles/new/", {"person_id": "max",
                                                      "role": "auditor", "institute_id": ""})
    assert response.status_code == 302
    with runtime.session() as s:
        assert s.exec(select(RoleAssignment).where(RoleAssignment.person_id == max_id)).one()
        granted = s.exec(select(AuditEvent).where(AuditEvent.trigger == "role_granted",
                                                  AuditEvent.actor == "admin")).one()
        assert granted.data["role"] == "auditor"


@pytest.mark.parametrize("day, first, last", [((2026, 1, 2), "2025-02", "2026-01"),
                                              ((2026, 12, 31), "2026-01", "2026-12")])
def test_issued_per_month_ends_with_the_current_month(runtime, day, first, last):
    from datetime import datetime, timezone

    from ra_console.console.dashboard import issued_per_month

    with runtime.session() as s:
        months = [key for key, _ in issued_per_month(
            s, datetime(*day, 9, 0, tzinfo=timezone.utc))]
    assert len(months) == 12 and months[0] == first and months[-1] == last
    assert months == sorted(set(months))


def test_row_history_links_only_for_audit_readers(browser, make_certificate, runtime):
    """A row's history icon leads to the audit log: shown to RA admins and auditors, not
    to network contacts, who may not read it (no link to a refusal)."""
    from ra_console.models import Institute, Mailbox
    from ra_console.usecases.addresses import MailboxInput, add_mailbox
    from ra_console.workflow.actor import SYSTEM

    public_id = make_certificate()
    with runtime.session() as s:  # the certificate moves to a mailbox of ITC
        itc = s.exec(select(Institute).where(Institute.code == "ITC")).one()
        mailbox = add_mailbox(s, SYSTEM, itc, MailboxInput(
            primary="history.check@itc.uni.example.org", aliases=(), kind="functional",
            display_name="History check", applicant="max", comment=""), max_aliases=2)
        s.flush()
        cert = s.exec(select(Certificate).where(Certificate.public_id == public_id)).one()
        cert.mailbox_id = s.exec(select(Mailbox.id).where(
            Mailbox.public_id == mailbox.public_id)).one()
        s.commit()
    history = f"/console/audit/?search={public_id}"
    for who, shown in (("admin", True), ("auditor", True), ("nk-itc", False)):
        browser.login(who)
        listing = browser.get("/console/certificates/").get_data(as_text=True)
        assert f"/console/certificates/actions/{cert.id}" in listing, who
        assert (history in listing) is shown, who
        mailboxes = browser.get("/console/mailboxes/").get_data(as_text=True)
        assert "history.check@itc.uni.example.org" in mailboxes, who
        assert ("/console/audit/?search=" in mailboxes) is shown, who
        browser.logout()


def test_menu_follows_roles_language_and_page(browser):
    """The main menu is made once per language, roles and page (console/chrome.py); each
    of the three still changes it."""
    def menu(url: str) -> str:
        page = browser.get(url).get_data(as_text=True)
        return page[page.index("navbar-nav mr-auto"):page.index("navbar-nav navbar-right")]

    def active(nav: str) -> list[str]:
        return re.findall(r'<li class="active">\s*<a class="nav-link " href="([^"]+)"', nav)

    browser.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    browser.login("admin")
    certificates = menu("/console/certificates/")
    assert active(certificates) == ["/console/certificates/"]
    assert active(menu("/console/mailboxes/")) == ["/console/mailboxes/"]
    assert "/console/audit/" in certificates and re.search(r">\s*Certificates</a>", certificates)
    browser.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    german = menu("/console/certificates/")
    assert re.search(r">\s*Zertifikate</a>", german) and "Certificates" not in german
    browser.logout()
    browser.login("nk-itc")
    contact = menu("/console/certificates/")
    assert "/console/audit/" not in contact and active(contact) == ["/console/certificates/"]


def test_certificate_list_links_keep_the_search_and_filters(browser, make_certificate):
    """The list page's own links (console/list_links.py): sorting, page size and export
    keep the search and the filters; clearing drops both and keeps order and page size;
    the page-size menu speaks the reader's language."""
    import html
    from urllib.parse import parse_qs, urlsplit

    make_certificate()
    browser.login("admin")
    query = "search=Erika&flt0_2=issued&sort=5&desc=1&page_size=50"
    page = browser.get(f"/console/certificates/?{query}", headers={
        "Accept-Language": "de"}).get_data(as_text=True)
    links = [html.unescape(h) for h in re.findall(r'href="(/console/certificates/[^"]*)"', page)]

    def args(url: str) -> dict:
        return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}

    sorts = [args(html.unescape(u)) for u in re.findall(r'<th[^>]*>\s*<a href="([^"]*)"', page)]
    assert len(sorts) == 4 and all(a["search"] == "Erika" and a["flt0_2"] == "issued"
                                   and a["page_size"] == "50" for a in sorts)
    assert any(a["sort"] == "5" and "desc" not in a for a in sorts)  # turns the order
    sizes = [args(u) for u in links if "page_size=100" in u]
    assert sizes and sizes[0]["search"] == "Erika" and sizes[0]["sort"] == "5"
    export = [args(u) for u in links if "/export/csv/" in u]
    assert export == [args(f"?{query}")]
    cleared = [args(u) for u in links if "search=" not in u and "export" not in u
               and "flt0" not in u and "page_size=50" in u]
    assert {"sort": "5", "desc": "1", "page_size": "50"} in cleared
    assert "Erika" in page and "Liste (1)" in page
    assert re.search(r">\s*100 Elemente<", page) and "items<" not in page  # one language
    for url in {u for u in links if "/console/certificates/?" in u}:
        assert browser.get(url).status_code == 200, url


def test_list_links_page_numbers():
    from ra_console.console.list_links import ListLinks

    links = ListLinks("/c/", "/c/export/csv/", page=3, sort=None, desc=False,
                      search="a b", extra_args={}, page_size=20,
                      filter_args={"flt0_status_equals": "issued"}, query_args=[])
    assert links.page(0) == "/c/?search=a+b&page_size=20&flt0_status_equals=issued"
    assert links.page(4) == "/c/?page=4&search=a+b&page_size=20&flt0_status_equals=issued"
    assert links.sort(1, invert=True) == ("/c/?page=3&sort=1&desc=1&search=a+b&page_size=20"
                                          "&flt0_status_equals=issued")
    assert links.cleared() == "/c/?page_size=20"
    assert links.export() == "/c/export/csv/"


def test_revoke_with_nothing_ticked_says_so(browser, make_certificate):
    make_certificate()
    browser.login("admin")
    response = browser.submit("/console/certificates/", {"action": "revoke"},
                              action="/console/certificates/action/", follow_redirects=True)
    assert response.status_code == 200
    assert "Please tick the certificates to revoke first." in response.get_data(as_text=True)


def test_whole_certificate_list_counts_by_estimate_when_large(browser, make_certificate,
                                                               runtime, monkeypatch):
    """PostgreSQL, a role that sees everything, no search or filter: a large table's size
    is PostgreSQL's estimate, said to be one; a search, a filter, SQLite and a network
    contact's list are counted."""
    from ra_console.console.views import CertificateView

    make_certificate()
    make_certificate("max", issue=False)
    postgres = runtime.engine.dialect.name == "postgresql"
    if postgres:
        with runtime.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE certificate")
    monkeypatch.setattr(CertificateView, "estimate_from", 1)
    browser.login("admin")
    whole = browser.get("/console/certificates/").get_data(as_text=True)
    assert ("List (about 2)" in whole) is postgres and ("List (2)" in whole) is not postgres
    german = browser.get("/console/certificates/", headers={"Accept-Language": "de"})
    assert ("Liste (etwa 2)" in german.get_data(as_text=True)) is postgres
    assert "List (1)" in browser.get("/console/certificates/?search=Erika").get_data(
        as_text=True)
    assert "List (1)" in browser.get("/console/certificates/?flt0_2=issued").get_data(
        as_text=True)
