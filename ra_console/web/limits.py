"""Rate limits on the endpoints attackers aim at, with shared counters in Redis if set.

Built on the `limits` library (the engine under Flask-Limiter) and keyed by endpoint name,
because Flask-Admin's view functions all share one qualified name."""

from __future__ import annotations

import ipaddress

from flask import Flask, abort, request
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from ra_console.core.config import ConfigError

# config key -> endpoints it guards (POST requests only: the actions, not the pages)
GUARDED = {
    "limits.sign_in": ("auth.login_dev", "auth.oidc_callback", "auth.oidc_login"),
    "limits.redeem": ("addresses.redeem_link",),
    "limits.challenge_resend": ("mailboxes.fire_view", "mailboxes.action_view"),
    "limits.identity_code": ("identity_desk.index",),
    "limits.revoke_by_key": ("revoke.by_key",),
}


class RateLimits:
    def __init__(self, config: dict):
        self.limiter = MovingWindowRateLimiter(storage_from_string(config["limits.storage_url"]))
        self.rules = {}
        for key, endpoints in GUARDED.items():
            if not config[key]:
                continue
            try:
                rule = parse(config[key])
            except ValueError:
                raise ConfigError(f"key '{key}': not a rate limit: {config[key]!r}") from None
            self.rules.update({endpoint: rule for endpoint in endpoints})

    def check(self) -> None:
        rule = self.rules.get(request.endpoint or "")
        if rule is None or request.method != "POST":
            return
        if not self.limiter.hit(rule, request.endpoint, request.remote_addr or "-"):
            abort(429)


def _networks(config: dict) -> list:
    try:
        return [ipaddress.ip_network(n, strict=False) for n in config["auth.allowed_networks"]]
    except ValueError as exc:
        raise ConfigError(f"key 'auth.allowed_networks': {exc}") from None


def init_app(app: Flask, config: dict) -> None:
    limits = RateLimits(config)
    networks = _networks(config)

    def guard():
        if networks and not request.path.startswith("/pki/"):
            try:
                client = ipaddress.ip_address(request.remote_addr or "")
            except ValueError:
                abort(403)
            if not any(client in network for network in networks):
                abort(403)
        limits.check()

    app.extensions["ra_limits"] = limits
    app.before_request(guard)


__all__ = ["init_app", "RateLimits"]
