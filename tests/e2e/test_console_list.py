"""The console lists in Debian's Chromium with the app's real Content-Security-Policy
(no inline script): revoking ticked rows from the "With selected" menu, and adding a filter
with Flask-Admin's filter script."""

from __future__ import annotations

import re

import pytest


def signed_in(chromium, live_server, lang: str):
    context = chromium.new_context(locale=lang, extra_http_headers={"Accept-Language": lang})
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.click("form:has(input[name='username'][value='admin']) button")
    page.wait_for_load_state()
    return context, page


@pytest.mark.parametrize("lang", ["de", "en"])
def test_revoke_ticked_rows_from_the_menu(chromium, live_server, issue_directly, lang):
    issue_directly()
    context, page = signed_in(chromium, live_server, lang)
    page.goto(f"{live_server}/console/certificates/")
    menu = {"de": "Mit Auswahl", "en": "With selected"}[lang]
    revoke = {"de": "Widerrufen", "en": "Revoke"}[lang]
    # nothing ticked: told so, on the list (no dead end, no error page)
    page.click(f"a.dropdown-toggle:has-text('{menu}')")
    page.click(f"button.dropdown-item:has-text('{revoke}')")
    page.wait_for_load_state()
    assert page.url.split("?")[0].endswith("/console/certificates/")
    told = {"de": "Bitte zuerst", "en": "Please tick"}[lang]
    assert told in page.inner_text(".alert")
    # one row ticked: the revocation summary with its confirmation
    page.check("input.action-checkbox")
    page.click(f"a.dropdown-toggle:has-text('{menu}')")
    page.click(f"button.dropdown-item:has-text('{revoke}')")
    page.wait_for_load_state()
    assert "/console/certificates/revoke-selected/" in page.url
    summary = {"de": "1 ausgewähltes Zertifikat", "en": "1 selected certificate"}[lang]
    assert summary in page.inner_text("body")
    context.close()


def test_add_a_filter_with_the_filter_script(chromium, live_server, issue_directly):
    issue_directly()
    context, page = signed_in(chromium, live_server, "en")
    page.goto(f"{live_server}/console/certificates/?search=Erika")
    page.click("a.dropdown-toggle:has-text('Add Filter')")
    page.click(".field-filters a.filter:has-text('Status')")
    page.wait_for_selector("table.filters tr input.filter-val")
    page.fill("table.filters tr input.filter-val", "issued")  # Status contains "issued"
    page.click("#filter_form button[type=submit]")
    page.wait_for_load_state()
    assert re.search(r"flt\d+_0=issued", page.url) and "search=Erika" in page.url
    assert page.locator("table.filters tr").count() == 1  # the active filter, shown again
    assert page.locator("input.action-checkbox").count() == 1  # Erika's issued certificate
    context.close()


def test_with_selected_menus_of_the_other_lists_work(chromium, live_server, issue_directly):
    """Flask-Admin's own list pages (here the mailboxes): their "With selected" items work
    under the CSP (console-actions.js binds what their inline handlers would do), and the
    filter menu names the institute in words."""
    issue_directly()
    context, page = signed_in(chromium, live_server, "de")
    page.goto(f"{live_server}/console/mailboxes/")
    page.click("a.dropdown-toggle:has-text('Filter hinzufügen')")
    assert "Einrichtung" in page.locator(".field-filters").inner_text()
    assert "institute" not in page.locator(".field-filters").inner_text()
    page.check("input.action-checkbox >> nth=0")
    page.click("a.dropdown-toggle:has-text('Mit Auswahl')")
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    with page.expect_navigation():
        page.click("a.dropdown-item:has-text('Challenge-Mails senden')")
    assert len(asked) == 1  # Flask-Admin's confirmation of the action, then the action
    assert page.url.split("?")[0].endswith("/console/mailboxes/")
    assert page.locator(".alert").count() >= 1  # the action's result, as a message
    context.close()
