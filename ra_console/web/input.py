"""Input no field may carry: the NUL character. PostgreSQL refuses it in text columns (and
SQLite would store it silently), so it is refused once, for every form and query string,
before any view runs; the person sees the error page in their language, nothing is stored."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _


def refuse_nul_bytes():
    """Before each request: a 400 page saying what is wrong when a form field, query
    parameter or file name holds NUL (the browser's Back button keeps what was typed)."""
    values = [*request.args.values(), *request.form.values(),
              *(f.filename or "" for f in request.files.values())]
    if any("\x00" in value for value in values):
        message = _("The input contains a control character (NUL) that no field may hold. "
                    "Nothing was saved; please go back and type it again.")
        return render_template("error.html", code=400, message=message), 400
    return None
