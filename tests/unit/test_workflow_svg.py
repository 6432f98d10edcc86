"""The SVG diagram: every state and transition drawn, the current state highlighted."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from ra_console.workflow import workflows
from ra_console.workflow.svg import render

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize("name", ["certificate", "mailbox", "identity"])
def test_every_state_and_transition_is_drawn(name):
    workflow = workflows()[name]
    current = workflow.initial
    root = ET.fromstring(str(render(workflow, "de", current)))
    groups = root.findall(f"{SVG}g")
    assert {g.get("data-state") for g in groups} == {str(s) for s in workflow.states}
    highlighted = [g.get("data-state") for g in groups if "current" in g.get("class")]
    assert highlighted == [current]
    arrows = root.findall(f"{SVG}path")
    assert len(arrows) == sum(len(t.sources) for t in workflow.transitions)
    labels = {t.text for t in root.iter(f"{SVG}text")}
    assert workflow.state_label(current, "de") in labels
