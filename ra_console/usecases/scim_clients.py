"""SCIM clients (an IdM pushing persons) and their bearer tokens: made and rotated by an
RA admin, shown once, stored as a SHA-256 hash, good for /scim/v2/ only."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlmodel import Session, select

from ra_console.models import ScimClient
from ra_console.workflow import audit
from ra_console.workflow.actor import Actor

TOKEN_PREFIX = "rascim_"  # tells a leaked token's kind (secret scanners, logs)


class ScimClientError(Exception):
    """A code with parameters; the console shows its text."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code, self.params = code, params


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def create_client(session: Session, name: str, actor: Actor, now) -> str:
    """A new client; returns its token (the only time it is seen). The caller commits."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ScimClientError("scim_client_name", max=100)
    if session.exec(select(ScimClient).where(ScimClient.name == name)).first():
        raise ScimClientError("scim_client_exists", name=name)
    token = _new_token()
    session.add(ScimClient(name=name, token_hash=_hash(token), created_by=actor.username,
                           created_at=now))
    _audit(session, "scim_client_created", name, actor)
    session.flush()
    return token


def rotate_token(session: Session, client: ScimClient, actor: Actor, now) -> str:
    """A new token for the client; the old one stops working at once."""
    token = _new_token()
    client.token_hash, client.rotated_at = _hash(token), now
    session.add(client)
    _audit(session, "scim_token_rotated", client.name, actor)
    session.flush()
    return token


def delete_client(session: Session, client: ScimClient, actor: Actor) -> None:
    _audit(session, "scim_client_deleted", client.name, actor)
    session.delete(client)
    session.flush()


def client_for_token(session: Session, token: str | None, now) -> ScimClient | None:
    """The client whose token this is, or None. Compared in constant time."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    wanted = _hash(token)
    client = session.exec(select(ScimClient).where(ScimClient.token_hash == wanted)).first()
    if client is None or not hmac.compare_digest(client.token_hash, wanted):
        return None
    client.last_used_at = now
    session.add(client)
    return client


def _audit(session: Session, trigger: str, name: str, actor: Actor) -> None:
    audit.append_event(session, entity_type="scim_client", entity_id=name, trigger=trigger,
                       actor=actor.username, role="ra_admin", ip=actor.ip)
