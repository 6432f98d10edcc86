"""Cross-cutting web pieces: error pages, security headers, template helpers."""

from __future__ import annotations

import logging

from flask import Flask, current_app, g, render_template, request
from flask_babel import get_locale, gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from ra_console.adapters.settings import cached_issuance_pause, cached_safe_mode
from ra_console.core.db import rollback_request_session
from ra_console.web.access import OPERATOR_ROLES
from ra_console.web.current import current_actor, current_person
from ra_console.workflow import workflows

log = logging.getLogger(__name__)

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def security_headers(response):
    csp = CSP
    if "csp_nonce" in g:  # console pages: Flask-Admin's own scripts carry this nonce
        csp = csp.replace("script-src 'self'", f"script-src 'self' 'nonce-{g.csp_nonce}'")
        csp = csp.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
    response.headers.setdefault("Content-Security-Policy", csp)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if current_app.extensions["ra_runtime"].config["auth.secure_cookies"]:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def state_label(workflow: str, state: str) -> str:
    return workflows()[workflow].state_label(state, str(get_locale()))


def template_helpers() -> dict:
    runtime = current_app.extensions["ra_runtime"]
    if g.get("database_down"):  # the error page must render without the database
        return {"current_person": None, "current_actor": None, "lang": str(get_locale()),
                "languages": runtime.config["languages"], "state_label": state_label,
                "demo": runtime.config["demo"], "is_operator": False, "issuance_pause": None,
                "safe_mode": runtime.config["safe_mode"]}
    actor = current_actor()
    return {
        "current_person": current_person(),
        "current_actor": actor,
        "lang": str(get_locale()),
        "languages": runtime.config["languages"],
        "state_label": state_label,
        "demo": runtime.config["demo"],
        "is_operator": bool(actor) and any(actor.has_role(r) for r in OPERATOR_ROLES),
        "issuance_pause": cached_issuance_pause(runtime) if actor else None,
        "safe_mode": cached_safe_mode(runtime),
    }


ERROR_TEXTS = {
    400: lambda: _("The request could not be understood."),
    403: lambda: _("You are not allowed to open this page."),
    404: lambda: _("This page does not exist."),
    405: lambda: _("This action is not possible here."),
    413: lambda: _("The upload is too large."),
    429: lambda: _("Too many attempts. Please wait a moment."),
}


def form_expired() -> str:
    return _("The form has expired. Please go back, reload the page and try again.")


def _render_error(code: int, message: str):
    rollback_request_session()  # nothing of a failed request is kept, and the page can read
    return render_template("error.html", code=code, message=message), code


def register_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(_exc):
        return _render_error(400, form_expired())

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        text = ERROR_TEXTS.get(exc.code or 500)
        return _render_error(exc.code or 500, text() if text else _("The request failed."))

    @app.errorhandler(OperationalError)
    def database_down(exc: OperationalError):
        log.error("database unavailable on %s %s: %s", request.method, request.path, exc)
        g.database_down = True
        return _render_error(503, _("The database is not reachable at the moment. Nothing "
                                    "was changed; please try again in a minute."))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _render_error(500, _("Something went wrong on our side. Nothing was changed; "
                                    "please try again later."))
