"""Issue 13, as a person clicks it in Debian's Chromium: nobody who follows the page's own
words ends on an error that names the wrong cause or on a page without a next step.
Screenshots of the changed pages go to $RA_SCREENSHOTS (German and English, 1280 and 1024
px wide) when that variable names a folder."""

from __future__ import annotations

import json
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from sqlmodel import select
from support import institute_address

from ra_console.models import Certificate

PASSWORD = "Äpfel und Birnen 🍐"
ERIKA = "erika.mustermann@uni.example.org"
ITC = "Erika.Mustermann@itc.uni.example.org"
ITC_ALIAS = "e.mustermann@itc.uni.example.org"
EMOJI = re.compile("[\u2300-\u23ff\u2600-\u27bf\U0001f000-\U0001faff]")
SHOTS = os.environ.get("RA_SCREENSHOTS")


def shoot(make_portal, url: str, name: str, username: str = "erika") -> None:
    """Screenshots of `url` in both languages and both widths (only with RA_SCREENSHOTS)."""
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    for lang in ("de", "en"):
        for width in (1280, 1024):
            portal = signed_in(make_portal, username, lang, width)
            portal.page.goto(portal.base + url)
            portal.page.screenshot(path=f"{SHOTS}/{name}-{lang}-{width}.png", full_page=True)
            portal.page.context.close()


def signed_in(make_portal, username: str, lang: str, width: int):
    """A fresh tab of that width, signed in, speaking `lang` (the DE / EN buttons)."""
    portal = make_portal(viewport={"width": width, "height": 900})
    portal.login(username)
    portal.page.click(f"button.link:text('{lang.upper()}')")
    portal.page.wait_for_selector(f"html[lang={lang}]")
    return portal


def statuses(runtime) -> list[tuple[str, tuple[str, ...]]]:
    with runtime.session() as s:
        return sorted((c.status, tuple(c.addresses)) for c in s.exec(select(Certificate)).all())


def consent(page) -> None:
    for name in ("consent_name_and_mailbox", "consent_data_processing",
                 "consent_directory_publication"):
        page.check(f"input[name={name}]")


def upload(page, csr: bytes) -> None:
    consent(page)
    page.fill("textarea[name=csr_text]", csr.decode())
    page.click("#upload")


def radio(page, address: str):
    return page.locator(f'input[name="mailbox"][data-address="{address}"]')


def alias_box(page):
    return page.locator(f'input[type=checkbox][value="{ITC_ALIAS}"]')


def test_1_each_address_with_and_without_its_alias(portal, runtime, new_csr, make_portal):
    institute_address(runtime, "erika", ITC, (ITC_ALIAS,))
    portal.login()
    portal.open_request_page()
    page = portal.page
    assert radio(page, ERIKA).is_checked()
    assert alias_box(page).is_disabled() and not alias_box(page).is_checked()
    # the IdM address: the institute alias stays out
    upload(page, new_csr()[1])
    page.wait_for_url("**/certificates/*-*")
    assert statuses(runtime) == [("requested", (ERIKA,))]
    # the institute address without its alias (unticked)
    portal.open_request_page()
    radio(page, ITC.lower()).check()
    assert alias_box(page).is_enabled() and alias_box(page).is_checked()
    alias_box(page).uncheck()
    upload(page, new_csr()[1])
    page.wait_for_url("**/certificates/*-*")
    assert ("requested", (ITC.lower(),)) in statuses(runtime)
    page.click("a.action-delete")
    page.click("button:has-text('Delete request')")
    page.wait_for_url("**/certificates")
    # … and with it, the key made in the browser
    portal.open_request_page()
    radio(page, ITC.lower()).check()
    assert alias_box(page).is_checked()
    portal.fill_request(PASSWORD)
    _public_id, path = portal.generate()
    assert json.loads(path.read_text())["emails"] == [ITC.lower(), ITC_ALIAS]
    assert ("requested", (ITC.lower(), ITC_ALIAS)) in statuses(runtime)
    shoot(make_portal, "/certificates/new", "request-aliases")
    shoot(make_portal, "/certificates", "list-rows")


def test_2_3_blocked_address_leads_to_its_certificate(portal, runtime, new_csr,
                                                       issue_directly, make_portal):
    cert_id = issue_directly()
    with runtime.session() as s:
        public_id = s.get(Certificate, cert_id).public_id
    portal.login()
    portal.open_request_page()
    page = portal.page
    assert radio(page, ERIKA).is_disabled()
    reason = page.locator('[data-reason="valid_certificate"]')
    assert "Not requestable" in reason.inner_text() and "less than 28 days" in reason.inner_text()
    assert page.locator("#upload").is_disabled() and page.locator("#generate").is_disabled()
    shoot(make_portal, "/certificates/new", "request-blocked")
    reason.locator("a").click()
    page.wait_for_url(f"**/certificates/{public_id}")
    # the issued page: heading, downloads first, revocation last in its own section
    assert page.inner_text("h1") == "Certificate"
    tops = [page.locator(sel).bounding_box()["y"] for sel in (
        "#downloads", "h2:text('Details')", "#revocation")]
    assert tops == sorted(tops)
    assert page.locator("#revocation a.danger").inner_text() == "Revoke certificate"
    shoot(make_portal, f"/certificates/{public_id}", "issued-upload")


def test_3_browser_certificate_page_puts_p12_first(portal, runtime, run_jobs, make_portal):
    portal.login()
    portal.open_request_page()
    portal.fill_request(PASSWORD)
    public_id, _path = portal.generate()
    portal.page.click("#send-now button")
    portal.page.wait_for_url(f"**/certificates/{public_id}")
    run_jobs()
    portal.page.goto(f"{portal.base}/certificates/{public_id}")
    page = portal.page
    page.wait_for_selector("#p12-form")
    tops = [page.locator(sel).bounding_box()["y"] for sel in (
        "#p12-builder", "#json-advice", "#downloads", "#revocation")]
    assert tops == sorted(tops)
    assert tops[0] < 900, "the .p12 builder is above the fold"
    assert "the request file (.json) may be deleted" in page.inner_text("#json-advice")
    shoot(make_portal, f"/certificates/{public_id}", "issued-browser")


def test_4_without_status_from_the_request_page_to_the_identity_check(portal, make_portal):
    portal.login("gast")
    portal.page.click("text=Request client certificate")
    portal.page.click("#identity-needed a.button")
    portal.page.wait_for_url("**/identity")
    portal.page.check("input[name=consent]")
    portal.page.click("button:has-text('Start identity verification')")
    assert portal.page.is_visible("#identity-code")
    shoot(make_portal, "/certificates/new", "request-no-status", username="gast")


def test_5_second_open_request_and_sending_twice(portal, runtime, make_portal):
    portal.login()
    portal.open_request_page()
    portal.fill_request(PASSWORD)
    public_id, _path = portal.generate()
    portal.open_request_page()  # as if the person came back for a second one
    page = portal.page
    reason = page.locator('[data-reason="unsent_request"]')
    assert "You already have an open request" in reason.inner_text()
    assert "send or delete it" in reason.inner_text()
    shoot(make_portal, "/certificates/new", "request-open")
    reason.locator("a").click()
    page.wait_for_url(f"**/certificates/{public_id}")
    page.click("a.action-submit")
    page.click("button:has-text('Send request now')")
    page.wait_for_url(f"**/certificates/{public_id}")
    page.goto(f"{portal.base}/certificates/{public_id}/submit")  # send again
    assert "already sent; its status is: Sent, not issued" in page.inner_text("main")


@pytest.mark.parametrize("name, content, expected", [
    ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 70_000, "This file is an image"),
    ("key.pem", "key", "This file is a private key"),
    ("request.json", json.dumps({"format": "ra-console-request", "version": 1}).encode(),
     "This is a request file (.json) of this portal"),
])
def test_6_wrong_files_are_named(portal, runtime, tmp_path, name, content, expected,
                                 rsa_key_pem):
    path = tmp_path / name
    path.write_bytes(rsa_key_pem if content == "key" else content)
    portal.login()
    portal.open_request_page()
    consent(portal.page)
    portal.page.set_input_files("input[name=csr_file]", str(path))
    portal.page.click("#upload")
    alert = portal.page.locator(".flash.error[role=alert]")
    assert alert.inner_text().startswith(expected)
    assert "too large" not in alert.inner_text()
    assert statuses(runtime) == []


@pytest.fixture(scope="module")
def rsa_key_pem(new_csr) -> bytes:
    key, _csr = new_csr()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def test_7_challenge_link_names_the_address(portal, runtime, make_portal):
    tokens = institute_address(runtime, "erika", ITC, confirm=False)
    portal.login()
    portal.page.goto(f"{portal.base}/redeem/{tokens[ITC]}")
    target = portal.page.inner_text("#redeem-target")
    assert ITC in target and "IT Center" in target
    if SHOTS:
        for lang in ("de", "en"):
            for width in (1280, 1024):
                other = signed_in(make_portal, "erika", lang, width)
                other.page.goto(f"{other.base}/redeem/{tokens[ITC]}")
                other.page.screenshot(path=f"{SHOTS}/redeem-{lang}-{width}.png",
                                      full_page=True)
    portal.page.click("button:has-text('Confirm e-mail address')")
    portal.page.wait_for_url("**/certificates")
    assert f"{ITC} is confirmed" in portal.page.inner_text("main")


def test_8_list_after_revoking_the_only_certificate(portal, runtime, issue_directly,
                                                    make_portal):
    cert_id = issue_directly()
    with runtime.session() as s:
        public_id = s.get(Certificate, cert_id).public_id
    portal.login()
    portal.page.goto(f"{portal.base}/certificates/{public_id}")
    portal.page.click("#revocation a.danger")
    portal.page.select_option("select[name=reason]", "superseded")
    portal.page.click("button:has-text('Revoke certificate')")
    portal.page.click("text=Back to my client certificates")
    empty = portal.page.inner_text("#empty-state")
    assert "no active certificates or open requests" in empty
    shoot(make_portal, "/certificates", "list-empty")
    portal.page.click("#empty-state a")
    assert "Revoked" in portal.page.inner_text("table.list")


def test_9_icons_need_no_emoji_font(portal, runtime, issue_directly):
    issue_directly()
    portal.login()
    page = portal.page
    for url in ("/certificates", "/certificates/new"):
        page.goto(portal.base + url)
        assert not EMOJI.search(page.inner_text("body")), url
    page.goto(portal.base + "/certificates")
    icon = page.locator("svg.icon-check")
    assert icon.count() == 1 and icon.get_attribute("aria-hidden") == "true"
    assert icon.bounding_box()["width"] > 8  # drawn, not an empty box
    assert "Issued" in page.locator(".status-issued").inner_text()  # the text alternative


def test_10_the_guides_advice_is_on_the_pages(portal, runtime, issue_directly, clock,
                                              make_portal):
    cert_id = issue_directly()
    with runtime.session() as s:
        not_after = s.get(Certificate, cert_id).not_after
    clock.now = not_after.replace(tzinfo=clock.now.tzinfo) - timedelta(days=20)
    portal.login()
    portal.open_request_page()
    page = portal.page
    warning = page.inner_text(".warning.renewal")
    assert "Two valid certificates for one address" in warning
    assert "Keep the old .p12 file" in warning
    page.click("#network-contacts summary")
    assert "Nora Netz" in page.inner_text("#network-contacts")
    shoot(make_portal, "/certificates/new", "request-renewal")
    page.click("button.link:text('DE')")
    page.wait_for_selector("html[lang=de]")
    assert "Zwei gleichzeitig genutzte Zertifikate" in page.inner_text(".warning.renewal")
