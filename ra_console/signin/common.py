"""What every sign-in page shares: the blueprint, the redirect rule for `next`, and the
step that signs a person in once their identity is known (dev, header or OpenID Connect)."""

from __future__ import annotations

from flask import Blueprint, current_app, request, url_for

from ra_console.core.db import get_session
from ra_console.usecases.signin import SignInIdentity, sign_in
from ra_console.web.redirects import local_target
from ra_console.web.session_policy import start_session

bp = Blueprint("auth", __name__)


def runtime():
    return current_app.extensions["ra_runtime"]


def safe_next(target: str | None) -> str:
    """Where to go after signing in or switching the language: a local page, else home."""
    return local_target(target, url_for("portal.home"))


def sign_in_as(identity: SignInIdentity) -> None:
    runtime_ = runtime()
    db = get_session()
    person = sign_in(db, identity, idm_domains=runtime_.config["organization.idm_domains"],
                     ip=request.remote_addr, now=runtime_.now(),
                     role_map=runtime_.config["auth.role_map"] if runtime_.config[
                         "auth.mode"] in ("header", "oidc") else None)
    db.commit()
    start_session(person.id, person.session_generation)
