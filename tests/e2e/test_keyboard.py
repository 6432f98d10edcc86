"""The network contact's main flow with the keyboard alone (issue 12, item 8): sign in,
add an institute address, send its challenge, and, once the recipient followed the link
from the mail, see it confirmed in the list. Only Tab, Enter, Space and typed text reach
the page (no clicks); every element used shows a visible focus ring."""

from __future__ import annotations

import email
import re
from email import policy
from pathlib import Path

import pytest
from sqlmodel import select

from ra_console.models import Mailbox, MailboxAddress

ADDRESS = "max.keyboard@itc.uni.example.org"

# What has the focus, and whether its ring shows (an outline of at least 2 px).
FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const s = getComputedStyle(e);
  return {tag: e.tagName, id: e.id, name: e.getAttribute('name'), type: e.getAttribute('type'),
          href: e.getAttribute('href') || '', form: e.form ? e.form.id : '',
          text: (e.innerText || e.value || '').trim().slice(0, 80),
          ring: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2};
}"""


def tab_to(page, wanted, limit: int = 150) -> dict:
    """Press Tab until `wanted(focused)` holds; the focus ring must show there."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None:
            continue
        seen.append(focused["text"] or focused["name"] or focused["href"])
        if wanted(focused):
            assert focused["ring"], f"no visible focus on {focused}"
            return focused
    raise AssertionError(f"Tab never reached it; went through {seen}")


def sign_in_button(username: str):
    """The dev sign-in button of `username` ("Sign in as max", "Als max anmelden")."""
    return lambda f: f["tag"] == "BUTTON" and username in f["text"].split()


def press(page, key: str) -> None:
    """A key that submits or follows: wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press(key)


def challenge_link(runtime, address: str) -> str:
    """The redeem path from the newest challenge mail to `address` (the demo catcher)."""
    folder = Path(runtime.config["instance_path"]) / "mail"
    for path in sorted(folder.glob("*.eml"), reverse=True):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["To"] != address:
            continue
        for part in message.walk():
            if part.get_content_type() == "text/plain":
                found = re.search(r"/redeem/\S+", part.get_content())
                if found:
                    return found.group(0)
    raise AssertionError(f"no challenge mail to {address}")


@pytest.mark.parametrize("lang", ["en", "de"])
def test_network_contact_flow_by_keyboard(chromium, live_server, runtime, run_jobs, lang):
    context = chromium.new_context(locale=lang, extra_http_headers={"Accept-Language": lang},
                                   viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server}/login")
    tab_to(page, sign_in_button("nk-itc"))
    press(page, "Enter")

    page.goto(f"{live_server}/console/mailboxes/")
    tab_to(page, lambda f: f["href"].startswith("/console/mailboxes/new/"))
    press(page, "Enter")
    tab_to(page, lambda f: f["name"] == "institute_id")  # nk-itc has one: IT Center
    tab_to(page, lambda f: f["name"] == "primary")
    page.keyboard.type(ADDRESS)
    tab_to(page, lambda f: f["name"] == "username")
    page.keyboard.type("max")
    tab_to(page, lambda f: f["tag"] == "INPUT" and f["type"] == "submit")
    press(page, "Enter")
    assert ADDRESS in page.inner_text("main, .container")

    with runtime.session() as s:
        row = s.exec(select(Mailbox).join(MailboxAddress).where(
            MailboxAddress.address == ADDRESS)).one()
    tab_to(page, lambda f: f["href"].endswith(f"actions/{row.id}"))  # the row's actions
    press(page, "Enter")
    assert page.inner_text("#row-face") == ADDRESS
    tab_to(page, lambda f: f["tag"] == "BUTTON" and f["form"] == "action-send_challenge")
    press(page, "Space" if lang == "de" else "Enter")  # a button takes either
    sent = "Challenge-Mail an" if lang == "de" else "Challenge e-mail sent to"
    assert sent in page.inner_text("body") and ADDRESS in page.inner_text("body")

    run_jobs()  # the outbox sends the challenge: the recipient follows its link
    link = challenge_link(runtime, ADDRESS)
    recipient = chromium.new_context(locale=lang, extra_http_headers={"Accept-Language": lang})
    other = recipient.new_page()
    other.goto(f"{live_server}/login")
    tab_to(other, sign_in_button("max"))
    press(other, "Enter")
    other.goto(live_server + link)
    tab_to(other, lambda f: f["tag"] == "BUTTON" and f["text"] in (
        "Confirm e-mail address", "E-Mail-Adresse bestätigen"))
    press(other, "Enter")
    recipient.close()

    page.goto(f"{live_server}/console/mailboxes/")
    confirmed = "Bestätigt" if lang == "de" else "Confirmed"
    row_text = page.inner_text(f"tr:has(a[href$='actions/{row.id}'])")
    assert ADDRESS in row_text and confirmed in row_text
    context.close()
