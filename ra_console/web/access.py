"""Access decorators: every view states who may reach it."""

from __future__ import annotations

from functools import wraps

from flask import abort, redirect, request, url_for

from ra_console.web.current import current_actor

# Everyone who may open the console; each console view narrows this further.
OPERATOR_ROLES = ("network_contact", "id_verifier", "ra_admin", "auditor")


def login_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_actor() is None:
            return redirect(url_for("auth.login", next=request.full_path))
        return view(*args, **kwargs)
    wrapped.access = "login"
    return wrapped


def roles_required(*roles: str):
    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            actor = current_actor()
            if actor is None:
                return redirect(url_for("auth.login", next=request.full_path))
            if not any(actor.has_role(role) for role in roles):
                abort(403)
            return view(*args, **kwargs)
        wrapped.access = "roles:" + ",".join(roles)
        return wrapped
    return decorate


def public(view):
    """Mark a view as reachable without sign-in (the access sweep checks every view)."""
    view.access = "public"
    return view
