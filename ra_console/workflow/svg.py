"""An SVG state diagram drawn from a workflow definition, current state highlighted.

Served inline (no JavaScript, so it works under the console's CSP). States are placed in
columns by their distance from the initial (or an entry) state."""

from __future__ import annotations

from markupsafe import Markup, escape

from ra_console.workflow.definition import Workflow

BOX_W, BOX_H, GAP_X, GAP_Y, PAD = 170, 44, 90, 34, 20


def _layout(workflow: Workflow) -> dict[str, tuple[int, int]]:
    depth = {s: 0 for s in (workflow.initial, *workflow.entries)}
    frontier = list(depth)
    while frontier:
        state = frontier.pop(0)
        for t in workflow.transitions_from(state):
            if t.dest not in depth:
                depth[t.dest] = depth[state] + 1
                frontier.append(t.dest)
    rows: dict[int, int] = {}
    places = {}
    for state in workflow.states:
        column = depth.get(str(state), 0)
        places[str(state)] = (column, rows.get(column, 0))
        rows[column] = rows.get(column, 0) + 1
    return places


def _centre(place: tuple[int, int]) -> tuple[float, float]:
    column, row = place
    return (PAD + column * (BOX_W + GAP_X) + BOX_W / 2, PAD + row * (BOX_H + GAP_Y) + BOX_H / 2)


def render(workflow: Workflow, lang: str, current: str | None = None) -> Markup:
    places = _layout(workflow)
    width = PAD * 2 + (max(c for c, _ in places.values()) + 1) * (BOX_W + GAP_X) - GAP_X
    height = PAD * 2 + (max(r for _, r in places.values()) + 1) * (BOX_H + GAP_Y) - GAP_Y
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="workflow" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(workflow.name)}">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
             'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" '
             'fill="#555"/></marker></defs>']
    for t in workflow.transitions:
        for source in t.sources:
            (x1, y1), (x2, y2) = _centre(places[source]), _centre(places[t.dest])
            if source == t.dest:
                path = (f"M{x1 + 30},{y1 - BOX_H / 2} C{x1 + 60},{y1 - BOX_H - 10} "
                        f"{x1 - 60},{y1 - BOX_H - 10} {x1 - 30},{y1 - BOX_H / 2}")
                lx, ly = x1, y1 - BOX_H + 2
            else:
                dx = BOX_W / 2 if x2 > x1 else -BOX_W / 2 if x2 < x1 else 0
                dy = 0 if dx else (BOX_H / 2 if y2 > y1 else -BOX_H / 2)
                path = f"M{x1 + dx},{y1 + dy} L{x2 - dx},{y2 - dy}"
                lx, ly = (x1 + x2) / 2, (y1 + y2) / 2 - 4
            parts.append(f'<path d="{path}" fill="none" stroke="#555" '
                         'marker-end="url(#arrow)"/>')
            parts.append(f'<text x="{lx}" y="{ly}" font-size="10" text-anchor="middle" '
                         f'fill="#333">{escape(t.trigger)}</text>')
    for state, place in places.items():
        x, y = _centre(place)
        active = state == current
        parts.append(f'<g class="state{" current" if active else ""}" data-state="{state}">'
                     f'<rect x="{x - BOX_W / 2}" y="{y - BOX_H / 2}" width="{BOX_W}" '
                     f'height="{BOX_H}" rx="8" fill="{"#57ab27" if active else "#fff"}" '
                     f'stroke="#00549f" stroke-width="{3 if active else 1.5}"/>'
                     f'<text x="{x}" y="{y + 4}" font-size="12" text-anchor="middle" '
                     f'fill="{"#fff" if active else "#222"}">'
                     f'{escape(workflow.state_label(state, lang))}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))
