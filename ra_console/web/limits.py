"""Rate limits on the operations attackers aim at, and the network allow-list.

Each limit counts one operation, keyed by who does it (the signed-in person; the client
address only before sign-in) and, where it has one, by the row it is done to. The views
call spend() or wrap the operation in limited_transition() where it really happens, so a
request refused before (CSRF, access, or a limit itself) costs nothing, and people behind
one NAT or proxy never share a budget. Counters live in the `limits` library's storage
(Redis shares them across workers and machines)."""

from __future__ import annotations

import ipaddress
from contextlib import contextmanager
from typing import Any, Iterator

from flask import Flask, abort, current_app, request
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from ra_console.core.config import ConfigError
from ra_console.web.current import current_actor
from ra_console.workflow.state import workflow_of


def is_outside_the_portal_networks(path: str) -> bool:
    """Paths auth.allowed_networks does not restrict: CA certificates, CRLs and OCSP
    (relying parties anywhere) and the health checks (load balancers) are open to all;
    /metrics has its own rule (metrics.allowed_networks or a token, public/metrics.py)."""
    return path.startswith(("/pki/", "/healthz/")) or path in ("/healthz", "/metrics")

# operation -> (config key, counted per "address" | "user" | "target")
RULES = {
    "sign_in": (("limits.sign_in", "address"),),  # nobody is signed in yet
    "redeem": (("limits.redeem", "user"),),
    "challenge": (("limits.challenge_per_user", "user"), ("limits.challenge_per_row", "target")),
    "identity_code": (("limits.identity_code", "user"),),
    "revoke_by_key": (("limits.revoke_by_key", "address"),),  # nobody is signed in
    "problem_report": (("limits.problem_report", "address"),),  # anyone may report
}
# workflow effects that are one of those operations: every trigger with the effect counts
EFFECT_OPERATIONS = {"send_challenges": "challenge"}


def _rule(config: dict, key: str):
    try:
        return parse(config[key])
    except ValueError:
        raise ConfigError(f"key '{key}': not a rate limit: {config[key]!r}") from None


class RateLimits:
    def __init__(self, config: dict):
        self.limiter = MovingWindowRateLimiter(storage_from_string(config["limits.storage_url"]))
        self.rules = {operation: [(_rule(config, key), per) for key, per in keys if config[key]]
                      for operation, keys in RULES.items()}

    def _counters(self, operation: str, target: str | None) -> list:
        actor, address = current_actor(), f"address:{request.remote_addr or '-'}"
        keys = {"address": address, "user": f"user:{actor.username}" if actor else address,
                "target": f"target:{target}" if target else None}
        return [(rule, operation, keys[per]) for rule, per in self.rules[operation]
                if keys[per]]

    def check(self, operation: str, target: str | None = None) -> None:
        """429 when a limit of `operation` is used up; counts nothing."""
        if not all(self.limiter.test(rule, *keys)
                   for rule, *keys in self._counters(operation, target)):
            abort(429)

    def count(self, operation: str, target: str | None = None) -> None:
        for rule, *keys in self._counters(operation, target):
            self.limiter.hit(rule, *keys)


def _limits() -> RateLimits:
    return current_app.extensions["ra_limits"]


def spend(operation: str, target: str | None = None) -> None:
    """One attempt at `operation` (a sign-in, a token or code tried): 429 when used up,
    else counted, whatever the attempt's outcome (failed guesses are what we count)."""
    _limits().check(operation, target)
    _limits().count(operation, target)


def operation_of(row: Any, trigger: str) -> str | None:
    for transition in workflow_of(row).transitions:
        if transition.trigger == trigger:
            for effect in transition.effects:
                if effect in EFFECT_OPERATIONS:
                    return EFFECT_OPERATIONS[effect]
    return None


@contextmanager
def limited_transition(row: Any, trigger: str) -> Iterator[None]:
    """Around firing `trigger` on `row`: 429 before, when its operation's limits are used
    up; counted only when the body succeeds (a refused transition sends nothing)."""
    operation = operation_of(row, trigger)
    if operation is not None:
        _limits().check(operation, row.public_id)
    yield
    if operation is not None:
        _limits().count(operation, row.public_id)


def _networks(config: dict) -> list:
    try:
        return [ipaddress.ip_network(n, strict=False) for n in config["auth.allowed_networks"]]
    except ValueError as exc:
        raise ConfigError(f"key 'auth.allowed_networks': {exc}") from None


def init_app(app: Flask, config: dict) -> None:
    networks = _networks(config)

    def allow_list():
        if networks and not is_outside_the_portal_networks(request.path):
            try:
                client = ipaddress.ip_address(request.remote_addr or "")
            except ValueError:
                abort(403)
            if not any(client in network for network in networks):
                abort(403)

    app.extensions["ra_limits"] = RateLimits(config)
    app.before_request(allow_list)


__all__ = ["init_app", "limited_transition", "operation_of", "spend", "RateLimits"]
