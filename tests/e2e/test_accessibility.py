"""WCAG 2.1 A/AA: axe-core (the npm package, installed by scripts/build-js from
package-lock.json) finds nothing on any portal or console page, for every role, in both
languages. The pages come from the url map, so a new page is swept automatically."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import missing

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
ROLES = ["erika", "gast", "nk-itc", "idv", "admin", "auditor"]
PORTAL_PAGES = ["/login", "/certificates", "/certificates/new", "/identity", "/addresses"]


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        missing(f"axe-core at {AXE} (run scripts/build-js)")
    return AXE.read_text()


def console_pages(app) -> list[str]:
    views = {view.endpoint for view in app.extensions["admin"][0]._views}
    return sorted(rule.rule for rule in app.url_map.iter_rules()
                  if rule.endpoint.partition(".")[0] in views and "GET" in rule.methods
                  and not rule.arguments and "/export/" not in rule.rule
                  and "/static" not in rule.rule)


def violations(page, axe_source: str) -> list[str]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_source)  # the context bypasses CSP for this only
    result = page.evaluate("""async (tags) => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
        return r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '));
    }""", WCAG)
    return result


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("who", ROLES)
def test_no_wcag_violation(app, chromium, live_server, axe_source, issue_directly, who, lang):
    issue_directly()  # lists with rows: a certificate, its mailbox, audit events, mails
    context = chromium.new_context(locale=lang, extra_http_headers={"Accept-Language": lang},
                                   bypass_csp=True)
    page = context.new_page()
    page.goto(f"{live_server}/login")
    found = {f"/login: {v}" for v in violations(page, axe_source)}
    page.click(f"form:has(input[name='username'][value='{who}']) button")
    page.wait_for_load_state()
    pages = PORTAL_PAGES[1:] + (console_pages(app) if who not in ("erika", "gast") else [])
    for path in pages:
        response = page.goto(live_server + path)
        if response is None or response.status != 200:
            continue
        found |= {f"{path}: {v}" for v in violations(page, axe_source)}
    context.close()
    assert sorted(found) == [], "\n".join(sorted(found))
