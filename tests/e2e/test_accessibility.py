"""WCAG 2.1 A/AA: axe-core (the npm package, installed by scripts/build-js from
package-lock.json) finds nothing on any portal or console page, for every role, in both
languages. The pages come from the url map, so a new page is swept automatically (the axe
fixture is in conftest.py)."""

from __future__ import annotations

import pytest
from support import open_problem_report

ROLES = ["erika", "gast", "nk-itc", "idv", "admin", "auditor"]
PORTAL_PAGES = ["/login", "/certificates", "/certificates/new", "/identity", "/addresses",
                "/pki/problem-report", "/pki/revoke"]


def console_pages(app) -> list[str]:
    views = {view.endpoint for view in app.extensions["admin"][0]._views}
    return sorted(rule.rule for rule in app.url_map.iter_rules()
                  if rule.endpoint.partition(".")[0] in views and "GET" in rule.methods
                  and not rule.arguments and "/export/" not in rule.rule
                  and "/static" not in rule.rule)


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("who", ROLES)
def test_no_wcag_violation(app, chromium, live_server, axe, issue_directly, who, lang):
    # lists with rows: a certificate, its mailbox, audit events, mails, a problem report
    case = open_problem_report(app.extensions["ra_runtime"], issue_directly())
    context = chromium.new_context(locale=lang, extra_http_headers={"Accept-Language": lang},
                                   bypass_csp=True)
    page = context.new_page()
    page.goto(f"{live_server}/login")
    found = {f"/login: {v}" for v in axe(page)}
    page.click(f"form:has(input[name='username'][value='{who}']) button")
    page.wait_for_load_state()
    pages = PORTAL_PAGES[1:] + (console_pages(app) if who not in ("erika", "gast") else [])
    pages += [f"/console/problem_reports/actions/{case}"] if who in ("admin", "auditor") else []
    # a searched list: the search field with its clear link
    pages += ["/console/certificates/?search=Erika"] if who not in ("erika", "gast") else []
    for path in pages:
        response = page.goto(live_server + path)
        if response is None or response.status != 200:
            continue
        found |= {f"{path}: {v}" for v in axe(page)}
    context.close()
    assert sorted(found) == [], "\n".join(sorted(found))
