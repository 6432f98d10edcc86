"""The portal's JavaScript modules, served with Subresource Integrity.

At app start every module under static/js/ and static/vendor/ is hashed (SHA-384) and its
static imports are read. `module_script("js/x.js")` then emits a <link rel="modulepreload">
with `integrity` for each module the entry imports (directly or not) and the entry's own
<script type="module" integrity>: the browser loads every module through a preload that
checks its hash, and no inline script is needed (CSP script-src 'self').
"""

from __future__ import annotations

import base64
import hashlib
import posixpath
import re
from pathlib import Path

from flask import Flask, current_app, request, url_for
from markupsafe import Markup, escape

STATIC = Path(__file__).resolve().parent.parent / "static"
MODULE_DIRS = ("js", "vendor")
_IMPORT_RE = re.compile(r"""^\s*(?:import|export)\b[^'"]*?\bfrom\s*["'](\.{1,2}/[^"']+)["']|"""
                        r"""^\s*import\s*["'](\.{1,2}/[^"']+)["']""", re.MULTILINE)


def scan(static: Path = STATIC) -> dict[str, tuple[str, tuple[str, ...]]]:
    """{path under static/: (integrity, imported paths)} for every .js module."""
    modules = {}
    for folder in MODULE_DIRS:
        for path in sorted((static / folder).glob("*.js")):
            data = path.read_bytes()
            name = path.relative_to(static).as_posix()
            digest = base64.b64encode(hashlib.sha384(data).digest()).decode("ascii")
            imports = tuple(posixpath.normpath(posixpath.join(posixpath.dirname(name), a or b))
                            for a, b in _IMPORT_RE.findall(data.decode("utf-8")))
            modules[name] = (f"sha384-{digest}", imports)
    return modules


def dependencies(modules: dict, entry: str) -> list[str]:
    """Every module `entry` imports, directly or not (each once, in a stable order)."""
    seen: list[str] = []
    todo = list(modules[entry][1])
    while todo:
        name = todo.pop(0)
        if name not in seen:
            seen.append(name)
            todo.extend(modules[name][1])
    return seen


def module_script(entry: str) -> Markup:
    modules = current_app.extensions["ra_scripts"]
    tags = [f'<link rel="modulepreload" href="{escape(url_for("static", filename=name))}" '
            f'integrity="{modules[name][0]}">' for name in dependencies(modules, entry)]
    tags.append(f'<script type="module" src="{escape(url_for("static", filename=entry))}" '
                f'integrity="{modules[entry][0]}"></script>')
    return Markup("\n".join(tags))


def revalidate_modules(response):
    """Modules must be revalidated (ETag, 304): a copy cached from before an upgrade would
    no longer match the page's integrity and the browser would refuse it."""
    if request.endpoint == "static" and (request.view_args or {}).get(
            "filename", "").startswith(tuple(f"{d}/" for d in MODULE_DIRS)):
        response.cache_control.no_cache = True
        response.cache_control.max_age = 0
    return response


def init_app(app: Flask) -> None:
    app.extensions["ra_scripts"] = scan()
    app.jinja_env.globals["module_script"] = module_script
    app.after_request(revalidate_modules)
