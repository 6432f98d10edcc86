"""What every sign-in page shares: the blueprint, the redirect rule for `next`, and the
step that signs a person in once their identity is known (dev, header or OpenID Connect)."""

from __future__ import annotations

from flask import Blueprint, current_app, request, url_for

from ra_console.core.db import get_session
from ra_console.usecases.signin import (
    SignInIdentity,
    SignInRefused,
    record_refused_sign_in,
    sign_in,
)
from ra_console.web.metrics import count_sign_in
from ra_console.web.redirects import local_target
from ra_console.web.session_policy import start_session

bp = Blueprint("auth", __name__)


def runtime():
    return current_app.extensions["ra_runtime"]


def safe_next(target: str | None) -> str:
    """Where to go after signing in or switching the language: a local page, else home."""
    return local_target(target, url_for("portal.home"))


def sign_in_as(identity: SignInIdentity) -> None:
    """Sign the person in; SignInRefused (audited, RA admins alerted) when the identity
    lacks a required attribute: the error page says so (views.py)."""
    runtime_ = runtime()
    config = runtime_.config
    db = get_session()
    try:
        person = sign_in(db, identity, idm_domains=config["organization.idm_domains"],
                         ip=request.remote_addr, now=runtime_.now(),
                         role_map=config["auth.role_map"] if config[
                             "auth.mode"] in ("header", "oidc") else None,
                         required=config["auth.required_attributes"])
    except SignInRefused as refused:
        db.rollback()
        record_refused_sign_in(db, refused, ip=request.remote_addr, now=runtime_.now())
        db.commit()
        count_sign_in(config["auth.mode"], "refused")
        raise
    db.commit()
    count_sign_in(config["auth.mode"], "ok")
    start_session(person.id, person.session_generation)
