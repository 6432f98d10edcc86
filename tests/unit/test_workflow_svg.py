"""The SVG diagram (laid out by Graphviz dot): every state and transition drawn in the
reader's language, the current state highlighted, the row's path marked."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from ra_console.workflow import workflows
from ra_console.workflow.svg import render

SVG = "{http://www.w3.org/2000/svg}"


def _groups(root, kind):
    return [g for g in root.iter(f"{SVG}g") if kind in (g.get("class") or "").split()]


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("name", ["certificate", "mailbox", "identity"])
def test_every_state_and_transition_is_drawn_in_one_language(name, lang):
    workflow = workflows()[name]
    current = workflow.initial
    root = ET.fromstring(str(render(workflow, lang, current, title="x")))
    states = _groups(root, "state")
    assert {g.get("data-state") for g in states} == {str(s) for s in workflow.states}
    assert [g.get("data-state") for g in _groups(root, "current")] == [current]
    edges = _groups(root, "transition")
    assert len(edges) == sum(len(t.sources) for t in workflow.transitions)
    texts = {t.text for t in root.iter(f"{SVG}text")}
    assert {workflow.state_label(str(s), lang) for s in workflow.states} <= texts
    assert {t.labels[lang] for t in workflow.transitions} <= texts
    # no raw state or trigger names anywhere a person (or a tooltip) reads
    raw = {str(s) for s in workflow.states} | {t.trigger for t in workflow.transitions}
    readable = texts | {t.text for t in root.iter(f"{SVG}title")}
    assert not (raw - {workflow.state_label(r, lang) for r in raw}
                - {t.labels[lang] for t in workflow.transitions}) & readable
    assert root.get("role") == "img" and root.get("aria-label") == "x"


def test_the_path_from_the_audit_events_is_marked():
    workflow = workflows()["certificate"]
    path = (("requested", "submit", "sent"), ("sent", "issue", "issued"))
    root = ET.fromstring(str(render(workflow, "en", "issued", path)))
    taken = {(g.get("data-trigger")) for g in _groups(root, "taken")}
    assert taken == {"submit", "issue"}
    # only the submit edge that was taken (requested → sent), not requested → pending_approval
    assert len(_groups(root, "taken")) == 2
    untouched = ET.fromstring(str(render(workflow, "en", "issued")))
    assert _groups(untouched, "taken") == []
