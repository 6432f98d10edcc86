"""Sign-in pages: the demo identity picker (dev mode) and header sign-in (OpenID Connect:
oidc.py)."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session as http_session,
    url_for,
)
from flask_babel import gettext as _, lazy_gettext

from ra_console.core.db import get_session
from ra_console.pki.input_rules import USERNAME_MAX, printable
from ra_console.signin import oidc
from ra_console.signin.common import bp, runtime as _runtime, safe_next, sign_in_as
from ra_console.signin.header import identity_from_headers
from ra_console.usecases.demo_people import DEMO_PEOPLE
from ra_console.usecases.sessions import end_all_sessions
from ra_console.usecases.signin import SignInRefused
from ra_console.web.access import login_required, public
from ra_console.web.current import current_actor, current_person
from ra_console.web.limits import spend
from ra_console.web.metrics import count_sign_in
from ra_console.web.session_policy import end_session
from ra_console.workflow import audit

ATTRIBUTE_LABELS = {"email": lazy_gettext("e-mail address"),
                    "given_name": lazy_gettext("given name"),
                    "surname": lazy_gettext("surname"),
                    "affiliation": lazy_gettext("affiliation (employee, student, …)")}


@bp.app_errorhandler(SignInRefused)
def sign_in_refused(refused: SignInRefused):
    """Whatever the sign-in mode: a clear page, nobody signed in, nothing changed."""
    missing = [str(ATTRIBUTE_LABELS[name]) for name in refused.missing]
    return render_template("auth/sign_in_refused.html", missing=missing), 403


@bp.route("/login")
@public
def login():
    mode = _runtime().config["auth.mode"]
    if current_person() is not None:
        return redirect(safe_next(request.args.get("next")))
    people = DEMO_PEOPLE if mode == "dev" else {}
    return render_template("auth/login.html", mode=mode, people=people,
                           next=request.args.get("next", ""))


@bp.route("/login/dev", methods=["POST"])
@public
def login_dev():
    runtime = _runtime()
    if runtime.config["auth.mode"] != "dev" or not runtime.config["demo"]:
        abort(404)
    spend("sign_in")
    typed = request.form.get("username", "")
    entry = DEMO_PEOPLE.get(typed)
    if entry is None:
        db = get_session()
        audit.append_event(db, entity_type="person", entity_id="-", trigger="login_failed",
                           actor=printable(typed, USERNAME_MAX) or "-", role="anonymous",
                           ip=request.remote_addr)
        db.commit()
        count_sign_in("dev", "failed")
        flash(_("Unknown demo identity."), "error")
        return redirect(url_for("auth.login"))
    sign_in_as(entry[0])
    return redirect(safe_next(request.form.get("next")))


def _end_all_sessions(trigger: str) -> None:
    """Sign-out on the server: every copy of this person's cookie stops working."""
    person = current_person()
    if person is not None:
        db = get_session()
        end_all_sessions(db, person, current_actor(), trigger=trigger, role="user")
        db.commit()


@bp.route("/logout", methods=["POST"])
@public
def logout():
    id_token = http_session.get(oidc.ID_TOKEN_KEY)
    _end_all_sessions("logout")
    end_session()
    if _runtime().config["auth.mode"] == "oidc":  # end the provider's session too
        response = oidc.end_session_redirect(id_token)
        if response is not None:
            return response
    logout_url = _runtime().config["auth.logout_url"]
    if logout_url:  # the SSO session must end too, or the proxy signs the user in again
        return redirect(logout_url)
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/logout/everywhere", methods=["POST"])
@login_required
def logout_everywhere():
    """Sign out in every browser (a lost laptop, a shared computer)."""
    _end_all_sessions("sign_out_everywhere")
    end_session()
    flash(_("You are signed out in every browser."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/lang/<code>", methods=["POST"])
@public
def set_language(code: str):
    if code in _runtime().config["languages"]:
        http_session["lang"] = code
    return redirect(safe_next(request.form.get("next")))


def header_sign_in() -> None:
    """Before each request in header mode: follow the identity the proxy asserts."""
    runtime = _runtime()
    if runtime.config["auth.mode"] != "header":
        return
    view = current_app.view_functions.get(request.endpoint)
    if view is None or getattr(view, "access", None) == "public":
        return  # public files (CRL, CA certificates, static) never sign anybody in
    identity = identity_from_headers(request, runtime.config)
    if identity is None:
        return
    person = current_person()
    if person is None or person.username != identity.username:
        sign_in_as(identity)
        g.pop("person", None)
        g.pop("actor", None)

