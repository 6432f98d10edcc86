"""Which migrations the database lacks, read without Alembic: the readiness check asks in
every web worker, and importing Alembic costs each worker 10 MiB (docs/performance.md).
The revision chain comes from the migration files' `revision` / `down_revision` and
docstrings, read with `ast`; a test holds the answer equal to Alembic's own
(adapters/migrate.py `pending`, which the command line keeps using)."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

from sqlalchemy import inspect, text

VERSIONS = Path(__file__).resolve().parents[1] / "migrations" / "versions"


def _read(path: Path) -> tuple[str, str | None, str]:
    """(revision, down revision, the docstring's first line) of one migration file."""
    module = ast.parse(path.read_text(encoding="utf-8"))
    values: dict[str, str | None] = {}
    for node in module.body:
        target = node.target if isinstance(node, ast.AnnAssign) else (
            node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1
            else None)
        if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
            values[target.id] = ast.literal_eval(node.value)
    doc = ast.get_docstring(module) or ""
    return values["revision"], values.get("down_revision"), doc.splitlines()[0] if doc else ""


@cache
def revisions() -> tuple[tuple[str, str], ...]:
    """(revision, message) of every migration, oldest first (one straight line)."""
    found = [_read(path) for path in VERSIONS.glob("*.py")]
    after = {down: (rev, message) for rev, down, message in found}
    chain, current = [], None
    while current in after:
        rev, message = after[current]
        chain.append((rev, message))
        current = rev
    if len(chain) != len(found):
        raise RuntimeError("the migrations do not form one line of revisions")
    return tuple(chain)


def pending(connection) -> list[str]:
    """Revisions the database lacks, oldest first, each as "id: message"."""
    done: set[str] = set()
    if inspect(connection).has_table("alembic_version"):
        done = set(connection.execute(text("SELECT version_num FROM alembic_version"))
                   .scalars())
    chain = revisions()
    applied = max((n for n, (rev, _message) in enumerate(chain) if rev in done), default=-1)
    return [f"{rev}: {message}".rstrip(": ") for rev, message in chain[applied + 1:]]
