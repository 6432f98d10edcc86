"""API tokens: a person issues, lists and revokes their bearer tokens for /api/v1/; each
use is looked up by the secret's hash and audited with the token's name."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from ra_console.core.db import aware
from ra_console.models import ApiToken, Person
from ra_console.pki.input_rules import name_problem, refuse
from ra_console.workflow import audit
from ra_console.workflow.actor import Actor

# The roles a token may carry; "user" acts as the person (e.g. a functional mailbox's
# applicant on a mail gateway).
SCOPES = ("user", "network_contact", "ra_admin", "auditor")
PREFIX = "rat_"  # makes a leaked token easy to recognise for secret scanners
MAX_DAYS = 365
LAST_USE_STEP = timedelta(minutes=1)  # the precision of "last used" (record_use)


class TokenError(Exception):
    """A token cannot be issued or revoked; `code` + `params` become a message."""

    def __init__(self, code: str, **params: Any):
        super().__init__(code)
        self.code, self.params = code, params


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _event(session: Session, token: ApiToken, trigger: str, actor: Actor, **data: Any) -> None:
    audit.append_event(session, entity_type="api_token", entity_id=token.public_id,
                       trigger=trigger, actor=actor.username, role="user", ip=actor.ip,
                       data={"token": token.name, **data})


def issue(session: Session, actor: Actor, *, name: str, scopes: list[str], days: int,
          now: datetime) -> tuple[ApiToken, str]:
    """A new token for the actor; the secret is returned once and only its hash is kept."""
    name = name.strip()
    if not name:
        raise TokenError("token_name_missing")
    refuse(TokenError, name_problem(name, limit=100), field="name")
    wanted = sorted(set(scopes))
    if not wanted:
        raise TokenError("token_scopes_missing")
    unheld = [scope for scope in wanted if scope not in SCOPES or not actor.has_role(scope)]
    if unheld:
        raise TokenError("token_scope_not_held", scope=unheld[0])
    if not 1 <= days <= MAX_DAYS:
        raise TokenError("token_days", max=MAX_DAYS)
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(person_id=actor.person_id, name=name, scopes=" ".join(wanted),
                     token_hash=hash_secret(secret), created_at=now,
                     expires_at=now + timedelta(days=days))
    session.add(token)
    session.flush()
    _event(session, token, "api_token_issue", actor, scopes=token.scopes, days=days)
    return token, secret


def tokens_of(session: Session, person_id: int) -> list[ApiToken]:
    return list(session.exec(select(ApiToken).where(ApiToken.person_id == person_id)
                             .order_by(ApiToken.id.desc())).all())


def revoke(session: Session, actor: Actor, public_id: str, now: datetime) -> ApiToken:
    """Revoke one of the actor's own tokens (another person's is unknown)."""
    token = session.exec(select(ApiToken).where(ApiToken.public_id == public_id,
                                                ApiToken.person_id == actor.person_id)).first()
    if token is None:
        raise TokenError("token_unknown")
    if token.revoked_at is None:
        token.revoked_at = now
        _event(session, token, "api_token_revoke", actor)
    return token


def is_live(token: ApiToken, now: datetime) -> bool:
    return token.revoked_at is None and aware(token.expires_at) > now


def find_live(session: Session, secret: str, now: datetime) -> tuple[ApiToken, Person] | None:
    """The live token with this secret and its holder (read together: every caller needs
    both), or None (unknown, revoked or expired alike)."""
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    found = session.exec(select(ApiToken, Person)
                         .join(Person, Person.id == ApiToken.person_id)
                         .where(ApiToken.token_hash == hash_secret(secret))).first()
    if found is None or not is_live(found[0], now):
        return None
    return found[0], found[1]


def effective_roles(token: ApiToken, actor: Actor) -> dict[str, frozenset[int]]:
    """The roles the token acts in: its scopes that the person still holds, so a token
    dies with the person's role."""
    return {role: institutes for role, institutes in actor.roles.items()
            if role in token.scopes.split()}


def record_use(session: Session, token: ApiToken, actor: Actor, method: str, path: str,
               now: datetime) -> None:
    """Every use is audited with the token's name (in the request's transaction). The
    token's "last used" is shown to the minute, so it is written at most once a minute
    (not one statement more on every API call)."""
    if token.last_used_at is None or now - aware(token.last_used_at) >= LAST_USE_STEP:
        token.last_used_at = now
    _event(session, token, "api_token_use", actor, method=method, path=path[:200])
