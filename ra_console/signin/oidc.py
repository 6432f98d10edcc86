"""OpenID Connect sign-in (auth.mode = "oidc"): the app is the relying party.

Authorization code flow with PKCE (S256) through Authlib's Flask client. The provider's
endpoints and keys come from discovery (<issuer>/.well-known/openid-configuration). Authlib
keeps state, nonce and code verifier in the (signed) session and checks the state; the ID
token is checked here with explicit options: signature against the provider's JWKS,
issuer, audience, expiry, nonce. Claims are mapped like the header mode's attributes and
the person is signed in through the same `sign_in` (IdM mailboxes, SSO roles). Sign-out
ends the portal session and sends the browser to the provider's end_session_endpoint
(RP-initiated logout).

Every failure (provider unreachable, state mismatch, refused consent, unverifiable token,
no user name) is a page in the user's language and a `login_failed` audit event.
"""

from __future__ import annotations

import logging

import requests
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from flask import (
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session as http_session,
    url_for,
)
from flask_babel import get_locale, gettext as _
from joserfc.errors import JoseError

from ra_console.core.db import get_session
from ra_console.pki.input_rules import shown, username_problem
from ra_console.signin.common import bp, safe_next, sign_in_as
from ra_console.usecases.signin import SignInIdentity
from ra_console.web.access import public
from ra_console.web.limits import spend
from ra_console.web.metrics import count_sign_in
from ra_console.workflow import audit

log = logging.getLogger(__name__)

NAME = "oidc"  # the Authlib client's name (its session keys start with _state_oidc_)
NEXT_KEY = "oidc_next"
ID_TOKEN_KEY = "oidc_id_token"
# Longer ID tokens are not kept for the logout hint: the session cookie must stay < 4 KB.
MAX_KEPT_ID_TOKEN = 2500
# ID tokens signed with a shared secret or not at all are never accepted.
REFUSED_ALGORITHMS = {"none", "HS256", "HS384", "HS512"}
# Authorization error codes that mean "the person did not (or could not) sign in or agree".
USER_REFUSALS = {"access_denied", "login_required", "consent_required",
                 "interaction_required", "account_selection_required"}


class SignInFailed(Exception):
    """The sign-in cannot be completed; `reason` goes to the audit log."""

    def __init__(self, reason: str, status: int, detail: str = ""):
        super().__init__(reason)
        self.reason, self.status, self.detail = reason, status, detail

    def message(self) -> str:
        texts = {
            "provider_unreachable": _("Your organisation's sign-in service cannot be reached "
                                      "at the moment. Please try again later."),
            "state_mismatch": _("The sign-in could not be completed: it expired or was "
                                "started in another window. Please sign in again."),
            "denied": _("The sign-in was cancelled or refused at your organisation's sign-in "
                        "service. You are not signed in."),
            "no_username": _("Your organisation's sign-in service did not send a user name. "
                             "Please contact the support."),
            "bad_username": _("Your organisation's sign-in service sent a user name that this "
                              "portal cannot use. Please contact the support."),
            "provider_error": _("Your organisation's sign-in service reported an error. "
                                "Please try again later or contact the support."),
        }
        return texts.get(self.reason, _("The answer of your organisation's sign-in service "
                                         "could not be verified. Please sign in again."))


def _config() -> dict:
    return current_app.extensions["ra_runtime"].config


def init_app(app: Flask) -> None:
    """Register the OIDC client (only in oidc mode)."""
    config = app.extensions["ra_runtime"].config
    secret = config["auth.oidc_client_secret"]
    oauth = OAuth(app)
    oauth.register(
        NAME,
        client_id=config["auth.oidc_client_id"],
        client_secret=secret or None,
        server_metadata_url=config["auth.oidc_issuer"].rstrip("/")
        + "/.well-known/openid-configuration",
        client_kwargs={
            "scope": " ".join(config["auth.oidc_scopes"]),
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": "client_secret_basic" if secret else "none",
            "default_timeout": config["auth.oidc_timeout_seconds"],
        },
    )


def _client():
    if _config()["auth.mode"] != "oidc":
        abort(404)
    return current_app.extensions["authlib.integrations.flask_client"].create_client(NAME)


def _metadata(client) -> dict:
    """The provider's metadata (fetched once, then cached by Authlib), checked."""
    try:
        metadata = client.load_server_metadata()
    except requests.HTTPError as exc:
        raise SignInFailed("provider_error", 502, f"discovery: {exc}"[:200]) from None
    except (requests.RequestException, ValueError) as exc:
        raise SignInFailed("provider_unreachable", 502, f"discovery: {exc!r}"[:200]) from None
    problem = None
    if str(metadata.get("issuer")).rstrip("/") != _config()["auth.oidc_issuer"].rstrip("/"):
        # OpenID Connect Discovery 4.3: the metadata must name the configured issuer.
        problem = f"issuer {metadata.get('issuer')!r}"
    elif not all(metadata.get(k) for k in ("authorization_endpoint", "token_endpoint",
                                             "jwks_uri")):
        problem = "no authorization_endpoint, token_endpoint or jwks_uri"
    if problem:
        client.server_metadata.pop("_loaded_at", None)  # fetch again next time
        raise SignInFailed("provider_error", 502, f"discovery: {problem}")
    algorithms = [a for a in metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
                  if a not in REFUSED_ALGORITHMS]
    metadata["id_token_signing_alg_values_supported"] = algorithms or ["RS256"]
    return metadata


def redirect_uri() -> str:
    """The callback URL registered at the provider (from public_base_url, never the Host)."""
    return _config()["public_base_url"].rstrip("/") + url_for("auth.oidc_callback")


@bp.route("/login/oidc", methods=["POST"])
@public
def oidc_login():
    """Start: send the browser to the provider's authorization endpoint."""
    spend("sign_in")
    client = _client()
    target = safe_next(request.form.get("next"))
    try:
        _metadata(client)
        response = client.authorize_redirect(redirect_uri(), ui_locales=str(get_locale()))
    except SignInFailed as failure:
        return _failed(failure)
    http_session[NEXT_KEY] = target
    return response


@bp.route("/login/oidc/callback")
@public
def oidc_callback():
    """The provider's answer: code → tokens → checked claims → signed in."""
    spend("sign_in")
    client = _client()
    target = http_session.get(NEXT_KEY) or url_for("portal.home")
    try:
        token, claims = _complete(client)
        identity = identity_from_claims(claims, _config())
        if identity is None:
            raise SignInFailed("no_username", 403, f"sub {claims.get('sub')!r}")
    except SignInFailed as failure:
        return _failed(failure)
    sign_in_as(identity)  # a fresh session: the state and everything else are dropped
    if len(token["id_token"]) <= MAX_KEPT_ID_TOKEN:
        http_session[ID_TOKEN_KEY] = token["id_token"]
    return redirect(target)


def _complete(client) -> tuple[dict, dict]:
    """Exchange the code (state checked by Authlib), verify the ID token, read userinfo."""
    metadata = _metadata(client)
    error = request.args.get("error")
    if error:
        reason = "denied" if error in USER_REFUSALS else "provider_error"
        raise SignInFailed(reason, 403 if reason == "denied" else 502, error[:100])
    issuer = request.args.get("iss")
    if issuer is not None and issuer != metadata["issuer"]:  # RFC 9207 mix-up defence
        raise SignInFailed("bad_token", 400, f"iss parameter {issuer[:100]!r}")
    options = {"iss": {"essential": True, "value": metadata["issuer"]},
               "aud": {"essential": True, "value": client.client_id}}
    try:
        token = client.authorize_access_token(claims_options=options, leeway=60)
        if "userinfo" not in token:  # no id_token in the answer, or no nonce in our state
            raise SignInFailed("bad_token", 400, "no ID token")
        claims = dict(token["userinfo"])
        if metadata.get("userinfo_endpoint"):
            userinfo = client.userinfo(token=token)
            if userinfo.get("sub") != claims["sub"]:  # OpenID Connect Core 5.3.2
                raise SignInFailed("bad_token", 400, "userinfo sub differs")
            claims = {**userinfo, **claims}  # the signed ID token wins
    except MismatchingStateError:
        raise SignInFailed("state_mismatch", 400) from None
    except OAuthError as exc:  # the token endpoint refused the code (used, forged, expired)
        raise SignInFailed("bad_token", 400, f"{exc.error}: {exc.description}"[:200]) from None
    except JoseError as exc:  # signature, issuer, audience, expiry, nonce
        raise SignInFailed("bad_token", 400, repr(exc)[:200]) from None
    except requests.HTTPError as exc:  # keys or userinfo refused
        raise SignInFailed("provider_error", 502, str(exc)[:200]) from None
    except requests.RequestException as exc:
        raise SignInFailed("provider_unreachable", 502, repr(exc)[:200]) from None
    except (ValueError, KeyError, TypeError, RuntimeError) as exc:  # a malformed answer
        raise SignInFailed("provider_error", 502, repr(exc)[:200]) from None
    return token, claims


def _failed(failure: SignInFailed):
    """A clear page in the user's language, and a login_failed audit event."""
    log.warning("OIDC sign-in failed: %s %s", failure.reason, failure.detail)
    count_sign_in("oidc", "failed")
    db = get_session()
    audit.append_event(db, entity_type="person", entity_id="-", trigger="login_failed",
                       actor="-", role="anonymous", ip=request.remote_addr,
                       data={"mode": "oidc", "reason": failure.reason,
                             "detail": failure.detail[:200]})
    db.commit()
    return render_template("auth/login.html", mode="oidc", people={}, next="",
                           error=failure.message()), failure.status


def _first(claims: dict, names: list[str]) -> str:
    for name in names:
        value = claims.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _all(claims: dict, names: list[str]) -> tuple[str, ...]:
    found: list[str] = []
    for name in names:
        value = claims.get(name)
        values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        found += [v.strip() for v in values if isinstance(v, str) and v.strip()]
    return tuple(dict.fromkeys(found))


def identity_from_claims(claims: dict, config: dict) -> SignInIdentity | None:
    """The claims as a sign-in identity (like header mode), or None without a user name;
    a user name no IdM issues (pki/input_rules.py) is refused."""
    username = _first(claims, config["auth.oidc_claim_username"])
    if not username:
        return None
    if username_problem(username):
        raise SignInFailed("bad_username", 403, f"username {shown(username)!r}")
    emails = () if claims.get("email_verified") is False else _all(
        claims, config["auth.oidc_claim_email"])
    return SignInIdentity(
        username=username,
        given_name=_first(claims, config["auth.oidc_claim_given_name"])[:200],
        surname=_first(claims, config["auth.oidc_claim_surname"])[:200],
        emails=emails,
        affiliations=tuple(dict.fromkeys(  # eduPersonScopedAffiliation: drop the scope
            value.split("@", 1)[0].lower()
            for value in _all(claims, config["auth.oidc_claim_affiliation"]))),
        groups=_all(claims, config["auth.oidc_claim_groups"]),
    )


def end_session_redirect(id_token: str | None):
    """After the portal session ended: the redirect to the provider's end_session_endpoint
    (RP-initiated logout), or None when the provider has none or cannot be reached."""
    config = _config()
    client = current_app.extensions["authlib.integrations.flask_client"].create_client(NAME)
    try:
        metadata = _metadata(client)
    except SignInFailed as failure:
        log.warning("OIDC logout: %s %s", failure.reason, failure.detail)
        return None
    if not metadata.get("end_session_endpoint"):
        return None
    after = config["auth.oidc_post_logout_redirect_uri"] or (
        config["public_base_url"].rstrip("/") + url_for("auth.login"))
    hint = {"id_token_hint": id_token} if id_token else {}
    url = client.create_logout_url(post_logout_redirect_uri=after, client_id=client.client_id,
                                   ui_locales=str(get_locale()), **hint)["url"]
    flash(_("You are signed out."), "info")
    return redirect(url)
