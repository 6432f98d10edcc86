"""docs/configuration.md's key table, generated from config/defaults.toml and its comments
(`python -m ra_console.core.config_doc` rewrites it; a test checks it is current)."""

from __future__ import annotations

import json
import re
import tomllib

from ra_console.core.config import DEFAULTS_FILE, OPEN_SECTIONS, PROJECT_ROOT, _env_name, _flatten

DOC = PROJECT_ROOT / "docs" / "configuration.md"
START, END = "<!-- keys:start -->", "<!-- keys:end -->"
_KEY_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=")
_SECTION = re.compile(r"^\[([A-Za-z0-9_.]+)\]")


def _comments() -> dict[str, str]:
    """The comment block right above each key (or above an open section's first table);
    keys written right under each other share their group's comment."""
    found, block, section, group = {}, [], "", ""
    for line in DEFAULTS_FILE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            block.append(stripped.lstrip("#").strip())
        elif match := _SECTION.match(stripped):
            section = match.group(1)
            top = section.split(".")[0]
            if top in OPEN_SECTIONS and top not in found:
                found[top] = " ".join(block)
            block, group = [], ""
        elif match := _KEY_LINE.match(stripped):
            key = f"{section}.{match.group(1)}" if section else match.group(1)
            group = " ".join(block) or group
            found.setdefault(key, group)
            block = []
        elif not stripped:
            block, group = [], ""  # a blank line ends a group and any loose comment
    return found


def _type(value) -> str:
    return {bool: "bool", int: "int", str: "str", list: "list", float: "float"}.get(
        type(value), type(value).__name__)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table() -> str:
    defaults = _flatten(tomllib.loads(DEFAULTS_FILE.read_text(encoding="utf-8")))
    comments = _comments()
    rows = ["| key | type | default | environment | meaning |", "|---|---|---|---|---|"]
    for key, value in defaults.items():
        if key in OPEN_SECTIONS:
            rows.append(f"| `{key}.<name>.*` | table | see defaults.toml | — (file only) | "
                        f"{_cell(comments.get(key, ''))} |")
            continue
        default = f"`{json.dumps(value, ensure_ascii=False)}`" if value not in ("", []) \
            else "(empty)"
        rows.append(f"| `{key}` | {_type(value)} | {_cell(default)} | `{_env_name(key)}` | "
                    f"{_cell(comments.get(key, ''))} |")
    return "\n".join(rows) + "\n"


def render(document: str) -> str:
    head, _, rest = document.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{table()}{END}{tail}"


if __name__ == "__main__":  # pragma: no cover
    DOC.write_text(render(DOC.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {DOC}")
