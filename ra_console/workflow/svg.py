"""An SVG state diagram of a workflow, laid out by Graphviz `dot` (Debian's `graphviz`):
labels in the reader's language, the current state highlighted, the path a row took drawn.

Served inline (no JavaScript, so it works under the console's CSP). `dot` places the
transition labels as nodes of their own, so no label overlaps another or a state."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from functools import lru_cache

import graphviz
from markupsafe import Markup

from ra_console.workflow.definition import Workflow

SVG_NS = "http://www.w3.org/2000/svg"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
FONT = {"fontname": "DejaVu Sans,Helvetica,Arial,sans-serif", "fontsize": "11"}
BLUE, GREEN, GREY, TAKEN = "#00549f", "#57ab27", "#555555", "#b5371b"


def dot_source(workflow: Workflow, lang: str, current: str | None,
               path: tuple[tuple[str, str, str], ...]) -> str:
    """The graph in dot's language; `path` holds (from, trigger, to) of the row's events."""
    taken = {(a, trigger, b) for a, trigger, b in path}
    visited = {state for a, _, b in path for state in (a, b)}
    graph = graphviz.Digraph(graph_attr={"rankdir": "TB", "nodesep": "0.35",
                                         "ranksep": "0.4", **FONT},
                             node_attr={"shape": "box", "style": "rounded,filled",
                                        "fillcolor": "white", "color": BLUE, **FONT},
                             edge_attr={"color": GREY, "fontcolor": "#222222", **FONT})
    for state in workflow.states:
        name = str(state)
        attrs = {"label": workflow.state_label(name, lang)}
        if name == current:
            attrs.update(fillcolor=GREEN, fontcolor="white", penwidth="3", color="#2d6a10")
        elif name in visited:
            attrs.update(penwidth="2.5", color=TAKEN)
        graph.node(name, **attrs)
    for t in workflow.transitions:
        for source in t.sources:
            # the id carries the transition into the SVG (_mark_up names the group)
            attrs = {"label": t.labels.get(lang) or t.labels["en"],
                     "id": f"edge:{source}:{t.trigger}:{t.dest}"}
            if (source, t.trigger, t.dest) in taken:
                attrs.update(color=TAKEN, fontcolor=TAKEN, penwidth="2.5")
            graph.edge(source, t.dest, **attrs)
    return graph.source


@lru_cache(maxsize=512)
def _laid_out(source: str) -> str:
    # a few workflows × languages × states × paths: each layout is made once per process
    return graphviz.Source(source).pipe(format="svg", encoding="utf-8")


def _mark_up(svg: str, title: str, current: str | None,
             path: tuple[tuple[str, str, str], ...]) -> str:
    """Graphviz's SVG as our page needs it: no raw state names in <title>s, each state
    group named (data-state), the current one and the taken edges marked by class."""
    root = ET.fromstring(svg)
    root.set("class", "workflow")
    root.set("role", "img")
    root.set("aria-label", title)
    taken = set(path)
    for group in root.iter(f"{{{SVG_NS}}}g"):
        name = group.find(f"{{{SVG_NS}}}title")
        if name is None:
            continue
        group.remove(name)
        kind = group.get("class")
        if kind == "node":
            group.set("data-state", name.text)
            group.set("class", "state current" if name.text == current else "state")
        elif kind == "edge":
            _, source, trigger, dest = group.attrib.pop("id").split(":")
            group.set("data-trigger", trigger)
            group.set("class", "transition taken" if (source, trigger, dest) in taken
                      else "transition")
    return ET.tostring(root, encoding="unicode")


def render(workflow: Workflow, lang: str, current: str | None = None,
           path: tuple[tuple[str, str, str], ...] = (), title: str = "") -> Markup:
    svg = _laid_out(dot_source(workflow, lang, current, path))
    return Markup(_mark_up(svg, title or workflow.name, current, path))
