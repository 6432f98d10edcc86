"""The layer picture of docs/architecture.md, checked where import-linter cannot look.

import-linter (run by scripts/test, contracts in pyproject.toml) keeps the direction of the
layers. These tests add what it does not check: no import circle anywhere, no import
hidden inside a function (the usual way to dodge a circle), and a top level that shows the
layers."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import grimp

from ra_console.workflow import definition, registry  # noqa: F401  (fills the registries)

PACKAGE = Path(__file__).resolve().parents[2] / "ra_console"
LOOSE_MODULES_ALLOWED = {"__init__.py", "app.py", "wsgi.py"}


def _circles(graph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(module):
        index[module] = low[module] = counter[0]
        counter[0] += 1
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_import_circle():
    assert _circles(grimp.build_graph("ra_console")) == []


def test_no_import_inside_a_function():
    hidden = []
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.ImportFrom) and (
                            inner.level > 0 or (inner.module or "").startswith("ra_console")):
                        hidden.append(f"{path.relative_to(PACKAGE)}:{inner.lineno}")
    assert hidden == []


def test_top_level_shows_the_layers():
    loose = {p.name for p in PACKAGE.glob("*.py")}
    assert loose == LOOSE_MODULES_ALLOWED


def test_every_layer_package_is_described_in_the_architecture_guide():
    guide = (PACKAGE.parent / "docs" / "architecture.md").read_text()
    packages = [p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()]
    missing = [name for name in packages if f"{name}/" not in guide]
    assert missing == []



def test_workflow_readme_lists_every_registered_name():
    """workflows/README.md stays true: its tables of conditions and effects name exactly
    what the code registers."""
    readme = (PACKAGE.parent / "workflows" / "README.md").read_text()
    tables = readme[readme.index("### Registered names"):readme.index("Register a new one")]
    documented = set(re.findall(r"^\| `(\w+)` \|", tables, re.M))
    assert documented == set(registry.CONDITIONS) | set(registry.EFFECTS)
