"""Input no field may carry: the NUL character. PostgreSQL refuses it in text columns (and
SQLite would store it silently), so it is refused once, for every form and query string,
before any view runs; the person sees the error page in their language, nothing is stored."""

from __future__ import annotations

from flask import abort, request


def refuse_nul_bytes() -> None:
    """Before each request: 400 when a form field, query parameter or file name holds NUL."""
    values = [*request.args.values(), *request.form.values(),
              *(f.filename or "" for f in request.files.values())]
    if any("\x00" in value for value in values):
        abort(400)
