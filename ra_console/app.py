"""The entry point of the web app: create_app() wires configuration, database, services and
every audience's blueprints (portal, console, API, sign-in, public pages)."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, request, session as http_session
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from ra_console.adapters import mail
from ra_console.adapters.runtime import Runtime, build_runtime
from ra_console.api import init_api
from ra_console.console import init_console
from ra_console.core import db
from ra_console.core.config import load_config
from ra_console.jobs import runner_watch
from ra_console.portal.addresses import bp as addresses_bp
from ra_console.portal.identity import bp as identity_bp
from ra_console.portal.tokens import bp as tokens_bp
from ra_console.portal.views import bp as portal_bp
from ra_console.public import health, metrics
from ra_console.public.demo_mail import bp as demo_bp
from ra_console.public.pki import bp as pki_bp
from ra_console.public.problem_report import bp as problem_report_bp
from ra_console.public.revoke import bp as revoke_bp
from ra_console.scim.views import bp as scim_bp
from ra_console.signin import oidc
from ra_console.signin.views import bp as auth_bp, header_sign_in
from ra_console.usecases.safe_mode import enter_from_config
from ra_console.web import limits, metrics as request_metrics, request_ids, session_policy
from ra_console.web.formats import local_date, local_time
from ra_console.web.input import refuse_nul_bytes
from ra_console.web.pages import register_error_pages, security_headers, template_helpers

csrf = CSRFProtect()
babel = Babel()


def _select_locale() -> str:
    languages = _runtime().config["languages"]
    chosen = http_session.get("lang")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or languages[0]


def _runtime() -> Runtime:
    return current_app.extensions["ra_runtime"]


def create_app(overrides: dict[str, Any] | None = None, runtime: Runtime | None = None,
               environ: dict[str, str] | None = None) -> Flask:
    """Build the web app: config → database → services → blueprints."""
    if runtime is None:
        runtime = build_runtime(load_config(environ=environ, overrides=overrides))
    config = runtime.config
    enter_from_config(runtime, "start")  # a restored copy: recorded before anything runs
    app = Flask(__name__, instance_path=config["instance_path"])
    if config["auth.proxy_hops"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config["auth.proxy_hops"])
    app.extensions["ra_runtime"] = runtime
    app.config.update(
        SECRET_KEY=config["secret_key"],
        # Leave room for form fields around an upload; the CSR check names the real limit.
        MAX_CONTENT_LENGTH=config["max_upload_bytes"] + 64 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config["auth.secure_cookies"],
        SEND_FILE_MAX_AGE_DEFAULT=config["static_max_age_seconds"],
        BABEL_TRANSLATION_DIRECTORIES="translations",
        WTF_CSRF_TIME_LIMIT=None,
    )
    request_ids.init_app(app)
    limits.init_app(app, config)  # network allow-list and rate limits come first
    db.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    session_policy.init_app(app)
    app.before_request(refuse_nul_bytes)
    app.before_request(header_sign_in)
    app.after_request(security_headers)
    request_metrics.init_app(app)
    runner_watch.init_app(app, config)  # alerts when every job runner is silent
    app.context_processor(template_helpers)
    app.add_template_filter(local_time)
    app.add_template_filter(local_date)
    register_error_pages(app)
    mail.configure(app)
    app.register_blueprint(auth_bp)
    if config["auth.mode"] == "oidc":  # the OIDC routes answer 404 in the other modes
        oidc.init_app(app)
    app.register_blueprint(portal_bp)
    app.register_blueprint(addresses_bp)
    app.register_blueprint(identity_bp)
    app.register_blueprint(tokens_bp)
    app.register_blueprint(pki_bp)
    app.register_blueprint(revoke_bp)
    app.register_blueprint(problem_report_bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(scim_bp)
    csrf.exempt(scim_bp)  # bearer tokens only: a browser's cookies never authenticate SCIM
    metrics.init_app(app, config)
    init_console(app, runtime)
    init_api(app, csrf)
    if config["demo"]:
        app.register_blueprint(demo_bp)
    return app


__all__ = ["create_app"]
