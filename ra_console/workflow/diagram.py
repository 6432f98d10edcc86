"""Mermaid state diagrams drawn from the workflow definitions."""

from __future__ import annotations

from ra_console.workflow.definition import Workflow


def mermaid(workflow: Workflow, lang: str = "en", highlight: str | None = None) -> str:
    lines = ["stateDiagram-v2", f"    [*] --> {workflow.initial}"]
    for entry in workflow.entries:
        lines.append(f"    [*] --> {entry}")
    for state in workflow.states:
        label = workflow.state_label(state, lang).replace('"', "'")
        lines.append(f'    state "{label}" as {state}')
    for t in workflow.transitions:
        for source in t.sources:
            roles = ", ".join(sorted(t.roles))
            lines.append(f"    {source} --> {t.dest}: {t.trigger} ({roles})")
    if highlight:
        lines.append("    classDef current fill:#57ab27,color:#fff")
        lines.append(f"    class {highlight} current")
    return "\n".join(lines) + "\n"
