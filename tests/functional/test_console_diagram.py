"""The workflow diagram on a row's action page: the reader's language, the current state,
and the path the row took, read from its audit events."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from sqlmodel import select

from ra_console.models import Certificate

SVG = "{http://www.w3.org/2000/svg}"


def diagram(html: str) -> ET.Element:
    return ET.fromstring(re.search(r"<svg .*?</svg>", html, re.S).group(0))


def marked(root: ET.Element, kind: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if kind in (g.get("class") or "").split()]


@pytest.mark.parametrize("lang, issued, submitted", [("de", "Ausgestellt", "Zertifikatsantrag"),
                                                     ("en", "Issued", "Send")])
def test_diagram_shows_the_path_from_the_audit_log(browser, request_certificate, run_jobs,
                                                  runtime, lang, issued, submitted):
    public_id = request_certificate("erika")
    run_jobs()
    with runtime.session() as s:
        row = s.exec(select(Certificate).where(Certificate.public_id == public_id)).one()
    browser.logout()
    browser.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
    browser.login("admin")
    root = diagram(browser.get(f"/console/certificates/actions/{row.id}").get_data(as_text=True))
    current = marked(root, "current")
    assert [g.get("data-state") for g in current] == ["issued"]
    assert issued in "".join(current[0].itertext())
    taken = marked(root, "taken")
    assert sorted(g.get("data-trigger") for g in taken) == ["issue", "submit"]
    assert any("".join(g.itertext()).strip().startswith(submitted) for g in taken)
    assert root.get("role") == "img" and issued in root.get("aria-label")
