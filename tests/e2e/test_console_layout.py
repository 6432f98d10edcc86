"""Every console list fits the screen, in Debian's Chromium: readable at 1280 px (every
column shown, nothing scrolls sideways) and usable at 1024 px (low-priority columns give
way, the row's link to its details and actions stays). Screenshots go to $RA_SCREENSHOTS
(German and English, 1280 and 1024 px wide) when that variable names a folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlmodel import select
from support import missing

from ra_console.models import Certificate, Institute, Mailbox, Person
from ra_console.usecases.addresses import MailboxInput, add_mailbox
from ra_console.workflow.actor import SYSTEM

SHOTS = os.environ.get("RA_SCREENSHOTS")
LISTS = {
    "admin": ["/console/certificates/", "/console/mailboxes/", "/console/approvals/",
              "/console/name_approvals/", "/console/identity_checks/", "/console/persons/",
              "/console/roles/", "/console/outbox/", "/console/audit/"],
    "nk-itc": ["/console/mailboxes/", "/console/certificates/"],
}
# How far the list's table reaches beyond its box, and which column headers are hidden.
MEASURE = """() => {
    const box = document.querySelector('.table-responsive');
    const table = box.querySelector('table');
    const hidden = [...table.querySelectorAll('thead th')]
        .filter(th => getComputedStyle(th).display === 'none')
        .map(th => th.className.replace('column-header', '').trim());
    const links = [...table.querySelectorAll('tbody .list-buttons-column a')]
        .filter(a => a.getBoundingClientRect().width > 0).length;
    return {overflow: table.scrollWidth - box.clientWidth,
            page: document.documentElement.scrollWidth - window.innerWidth,
            hidden: hidden, links: links, rows: table.querySelectorAll('tbody td.list-buttons-column').length};
}"""


@pytest.fixture
def busy_rows(runtime, issue_directly):
    """Rows that stretch the columns: an issued certificate, a functional mailbox with two
    aliases, a long display name and a long comment."""
    issue_directly()
    with runtime.session() as s:
        itc = s.exec(select(Institute).where(Institute.code == "ITC")).one()
        add_mailbox(s, SYSTEM, itc, MailboxInput(
            primary="Sekretariat.Rechenzentrum.Netzwerkbetrieb@itc.uni.example.org",
            aliases=("Netzwerkbetrieb.Sekretariat@itc.uni.example.org",
                     "noc-sekretariat-und-leitstelle@itc.uni.example.org"),
            kind="functional", display_name="Sekretariat Rechenzentrum – Netzwerkbetrieb",
            applicant="max", comment="Vertretung während der Elternzeit, bitte bis Ende "
            "des Sommersemesters verlängern (Ticket 4711)"), max_aliases=2)
        s.commit()


@pytest.mark.parametrize("width", [1280, 1024])
@pytest.mark.parametrize("lang", ["de", "en"])
def test_every_list_fits_the_screen(chromium, live_server, busy_rows, lang, width):
    problems = []
    for who, urls in LISTS.items():
        context = chromium.new_context(locale=lang, extra_http_headers={
            "Accept-Language": lang}, viewport={"width": width, "height": 900})
        page = context.new_page()
        page.goto(f"{live_server}/login")
        page.click(f"form:has(input[name='username'][value='{who}']) button")
        page.wait_for_load_state()
        for url in urls:
            page.goto(live_server + url)
            found = page.evaluate(MEASURE)
            if found["overflow"] > 0 or found["page"] > 0:
                problems.append(f"{who} {url}: {found['overflow']} px wider than its box, "
                                f"page {found['page']} px")
            if width >= 1280 and found["hidden"]:
                problems.append(f"{who} {url}: columns hidden at {width} px: {found['hidden']}")
            if found["rows"] and found["links"] == 0 and "/audit/" not in url:
                problems.append(f"{who} {url}: no visible link to the row's details")
            if SHOTS:
                Path(SHOTS).mkdir(parents=True, exist_ok=True)
                name = url.strip("/").replace("/", "-")
                page.screenshot(path=f"{SHOTS}/{name}-{who}-{lang}-{width}.png",
                                full_page=True)
        context.close()
    assert problems == [], "\n".join(problems)


AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def row_pages(runtime) -> list[str]:
    """The pages of single rows (the url-map sweeps skip routes with arguments): the action
    pages with danger forms and a reason select, a details page, the revocation summaries."""
    with runtime.session() as s:
        cert = s.exec(select(Certificate)).first()
        functional = s.exec(select(Mailbox).where(Mailbox.kind == "functional")).one()
        erika = s.exec(select(Person).where(Person.username == "erika")).one()
    return [f"/console/certificates/actions/{cert.id}",
            f"/console/certificates/details/?id={cert.id}",
            f"/console/certificates/revoke-selected/?ids={cert.id}",
            f"/console/mailboxes/actions/{cert.mailbox_id}",
            f"/console/mailboxes/actions/{functional.id}",
            f"/console/persons/revoke-all/{erika.id}"]


@pytest.mark.parametrize("lang", ["de", "en"])
def test_row_pages_are_accessible_and_fit(chromium, live_server, runtime, busy_rows, lang):
    if not AXE.exists():
        missing(f"axe-core at {AXE} (run scripts/build-js)")
    problems = []
    for width in (1280, 1024):
        context = chromium.new_context(locale=lang, extra_http_headers={
            "Accept-Language": lang}, viewport={"width": width, "height": 900},
            bypass_csp=True)
        page = context.new_page()
        page.goto(f"{live_server}/login")
        page.click("form:has(input[name='username'][value='admin']) button")
        page.wait_for_load_state()
        for url in row_pages(runtime):
            response = page.goto(live_server + url)
            assert response.status == 200, url
            page.add_script_tag(content=AXE.read_text())
            found = page.evaluate("""async (tags) => {
                const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
                return r.violations.map(v => v.id + ': ' +
                    v.nodes.map(n => n.target.join(' ')).join(', '));
            }""", WCAG)
            problems += [f"{url} ({width} px): {v}" for v in found]
            wider = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if wider > 0:
                problems.append(f"{url} ({width} px): page {wider} px wider than the window")
            if SHOTS:
                Path(SHOTS).mkdir(parents=True, exist_ok=True)
                name = url.split("?")[0].strip("/").replace("/", "-")
                page.screenshot(path=f"{SHOTS}/{name}-{lang}-{width}.png", full_page=True)
        context.close()
    assert problems == [], "\n".join(problems)
