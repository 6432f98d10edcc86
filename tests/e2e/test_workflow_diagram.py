"""The workflow diagram as Chromium draws it: no label overlaps another, the diagram fits
the page at 1280 and 1024 px, and axe-core finds nothing on the action page. Screenshots
go to $RA_SCREENSHOTS (German and English, 1280 and 1024 px) when that names a folder."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

SHOTS = os.environ.get("RA_SCREENSHOTS")
BOXES = """() => [...document.querySelectorAll('#workflow-diagram svg text')].map(t => {
    const r = t.getBoundingClientRect();
    return {text: t.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom};
})"""


def overlapping(boxes: list[dict]) -> list[tuple[str, str]]:
    return [(a["text"], b["text"]) for a, b in itertools.combinations(boxes, 2)
            if a["left"] < b["right"] and b["left"] < a["right"]
            and a["top"] < b["bottom"] and b["top"] < a["bottom"]]


@pytest.mark.parametrize("width", [1280, 1024])
@pytest.mark.parametrize("lang", ["de", "en"])
def test_diagram_labels_never_overlap(chromium, live_server, axe, issue_directly, lang, width):
    row_id = issue_directly()
    context = chromium.new_context(locale=lang, extra_http_headers={"Accept-Language": lang},
                                   viewport={"width": width, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.click("form:has(input[name='username'][value='admin']) button")
    page.wait_for_load_state()
    page.goto(f"{live_server}/console/certificates/actions/{row_id}")
    boxes = page.evaluate(BOXES)
    assert len(boxes) >= 17  # 8 states and 9 transitions of workflows/certificate.yaml
    assert overlapping(boxes) == []
    svg = page.locator("#workflow-diagram svg").bounding_box()
    assert svg["x"] >= 0 and svg["x"] + svg["width"] <= width
    assert min(b["bottom"] - b["top"] for b in boxes) >= 9  # still legible when scaled down
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/workflow-{lang}-{width}.png", full_page=True)
    assert axe(page) == []
    context.close()
