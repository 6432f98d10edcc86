"""Problem reports in Chromium: the public form (also with a refusal), the revocation page
with its .p12 way, and the console's list,
case page and overview fit 1280 and 1024 px in German and English, nothing scrolls
sideways. Screenshots go to $RA_SCREENSHOTS when that variable names a folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support import open_problem_report

SHOTS = os.environ.get("RA_SCREENSHOTS")
WIDER = "() => document.documentElement.scrollWidth - window.innerWidth"


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.mark.parametrize("width", [1280, 1024])
@pytest.mark.parametrize("lang", ["de", "en"])
def test_pages_fit_in_both_languages(chromium, live_server, app, issue_directly, lang, width):
    case = open_problem_report(app.extensions["ra_runtime"], issue_directly())
    context = chromium.new_context(locale=lang, extra_http_headers={"Accept-Language": lang},
                                   viewport={"width": width, "height": 900})
    page = context.new_page()
    wider = {}
    page.goto(f"{live_server}/pki/problem-report")
    wider["form"] = page.evaluate(WIDER)
    _shot(page, f"problem-report-form-{lang}-{width}")
    page.fill("#serial", "not a serial")
    page.fill("#description", "Text that stays")
    page.click("#report-submit")
    assert page.locator("#report-error").is_visible()
    assert page.input_value("#description") == "Text that stays"
    wider["refused"] = page.evaluate(WIDER)
    _shot(page, f"problem-report-refused-{lang}-{width}")

    page.goto(f"{live_server}/pki/revoke")  # with the .p12 way next to the .json one
    assert page.locator("#possession-p12").is_visible()
    wider["revoke"] = page.evaluate(WIDER)
    _shot(page, f"revoke-by-key-{lang}-{width}")

    page.goto(f"{live_server}/login")
    page.click("form:has(input[name='username'][value='admin']) button")
    page.wait_for_load_state()
    for name, path in (("list", "/console/problem_reports/"),
                       ("case", f"/console/problem_reports/actions/{case}"),
                       ("overview", "/console/")):
        page.goto(live_server + path)
        wider[name] = page.evaluate(WIDER)
        _shot(page, f"problem-report-{name}-{lang}-{width}")
    assert page.locator("#open-reports").is_visible()
    context.close()
    assert wider == dict.fromkeys(wider, 0)
