"""Header sign-in: identity attributes from a trusted reverse proxy (Shibboleth SP style)."""

from __future__ import annotations

import hmac

from flask import Request

from ra_console.pki.input_rules import username_problem
from ra_console.usecases.signin import SignInIdentity


def peer_address(request: Request) -> str | None:
    """The address that actually connected (not one claimed in X-Forwarded-For)."""
    original = request.environ.get("werkzeug.proxy_fix.orig", {})
    return original.get("REMOTE_ADDR", request.remote_addr)


def has_proxy_secret(request: Request, config: dict) -> bool:
    """True when no proxy secret is configured, or the request carries it: the proof that
    it passed the proxy that strips client-sent identity headers."""
    secret = config["auth.proxy_secret"]
    if not secret:
        return True
    sent = request.headers.get(config["auth.header_proxy_secret"], "")
    return hmac.compare_digest(sent.encode(), secret.encode())


def _values(request: Request, name: str, separator: str) -> tuple[str, ...]:
    raw = request.headers.get(name, "")
    return tuple(v.strip() for v in raw.split(separator) if v.strip())


def identity_from_headers(request: Request, config: dict) -> SignInIdentity | None:
    """The identity the proxy asserts, or None when the request is not from a trusted proxy
    or carries no valid user name (pki/input_rules.py)."""
    if peer_address(request) not in config["auth.trusted_proxies"]:
        return None
    if not has_proxy_secret(request, config):
        return None
    separator = config["auth.header_separator"]
    username = request.headers.get(config["auth.header_username"], "").strip()
    if not username or username_problem(username):  # not a user name an IdM issues
        return None
    affiliations = tuple(
        value.split("@", 1)[0].lower()  # eduPersonScopedAffiliation: drop the scope
        for value in _values(request, config["auth.header_affiliation"], separator)
    )
    return SignInIdentity(
        username=username,
        given_name=request.headers.get(config["auth.header_given_name"], "").strip()[:200],
        surname=request.headers.get(config["auth.header_surname"], "").strip()[:200],
        emails=_values(request, config["auth.header_email"], separator),
        affiliations=affiliations,
        groups=_values(request, config["auth.header_groups"], separator),
    )
