"""A trivial public endpoint: load-balancer health checks, and the framework ceiling the
benchmark compares every page with (bench/run)."""

from __future__ import annotations

from flask import Blueprint

from ra_console.web.access import public

bp = Blueprint("health", __name__)


@bp.route("/healthz")
@public
def healthz():
    """No database, no template, no session: the cost of Flask and gunicorn alone."""
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
