"""Bearer tokens: every API view states the roles it serves (`token_required`); the token
must be live and the person must still hold one of those roles. Cookies never count here,
so the API needs no CSRF token."""

from __future__ import annotations

from functools import wraps

from flask import g, request
from flask_babel import gettext as _

from ra_console.api.problems import refuse
from ra_console.core.db import get_session
from ra_console.usecases.api_tokens import effective_roles, find_live, record_use
from ra_console.web.current import actor_for
from ra_console.workflow.actor import Actor

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="ra-console"'}


def _bearer() -> str:
    kind, _sep, secret = request.headers.get("Authorization", "").partition(" ")
    return secret.strip() if kind.lower() == "bearer" else ""


def _token_actor() -> Actor:
    session = get_session()
    runtime = session.info["runtime"]
    now = runtime.now()
    secret = _bearer()
    if not secret:
        refuse(401, "token_missing", _("Send an API token: Authorization: Bearer <token>."),
               headers=CHALLENGE)
    found = find_live(session, secret, now)
    if found is None:
        refuse(401, "token_invalid", _("This API token is unknown, revoked or expired."),
               headers=CHALLENGE)
    token, person = found
    actor = actor_for(person, session, request.remote_addr)
    roles = effective_roles(token, actor)
    if not roles:
        refuse(401, "token_roles_gone",
               _("You no longer hold the roles of this API token."), headers=CHALLENGE)
    actor = Actor(username=actor.username, person_id=actor.person_id, roles=roles,
                  ip=actor.ip)
    record_use(session, token, actor, request.method, request.path, now)
    session.commit()  # the use stays audited even when the operation is refused
    return actor


def token_required(*roles: str):
    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            actor = _token_actor()
            if not any(actor.has_role(role) for role in roles):
                refuse(403, "role_missing", _("This API token may not do this."))
            g.actor = actor  # rate limits and messages see the token's person
            return view(*args, **kwargs)
        wrapped.access = "api:" + ",".join(roles)
        return wrapped
    return decorate


def api_actor() -> Actor:
    return g.actor
