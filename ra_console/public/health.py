"""Public health checks for load balancers and monitoring: /healthz and /healthz/live
(the process answers), /healthz/ready (it can do its work: database, migrations, job
runner, CRLs). No session, no template, no sign-in."""

from __future__ import annotations

import json

from flask import Blueprint, current_app

from ra_console.adapters.health import readiness
from ra_console.web.access import public

bp = Blueprint("health", __name__)
HEADERS = {"Cache-Control": "no-store"}


@bp.route("/healthz")
@bp.route("/healthz/live")
@public
def live():
    """No database, no template, no session: the cost of Flask and gunicorn alone (also
    the framework ceiling the benchmark compares every page with, bench/run)."""
    return "ok\n", 200, {**HEADERS, "Content-Type": "text/plain; charset=utf-8"}


@bp.route("/healthz/ready")
@public
def ready():
    """200 when every check passes, else 503; the body names each check's result."""
    checks = readiness(current_app.extensions["ra_runtime"])
    ok = all(check.ok for check in checks)
    body = {"status": "ok" if ok else "fail",
            "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in checks}}
    return json.dumps(body, indent=1) + "\n", 200 if ok else 503, {
        **HEADERS, "Content-Type": "application/json"}
