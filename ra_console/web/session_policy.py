"""Server-side session lifetime: absolute limit, idle timeout, and the person's session
generation (raised at sign-out, so copies of an old cookie stop working)."""

from __future__ import annotations

import time

from flask import Flask, current_app, flash, session as http_session
from flask_babel import gettext as _

SEEN_AT_STEP = 60  # seconds between updates of the idle-timeout stamp


def start_session(person_id: int, generation: int) -> None:
    """A fresh session for a fresh sign-in (no fixation: old contents are dropped)."""
    language = http_session.get("lang")
    http_session.clear()
    now = int(time.time())
    http_session.update(person_id=person_id, generation=generation, login_at=now,
                        seen_at=now)
    if language:
        http_session["lang"] = language
    http_session.permanent = False


def end_session() -> None:
    language = http_session.get("lang")
    http_session.clear()
    if language:
        http_session["lang"] = language


def is_current_generation(generation: int) -> bool:
    """Does the session carry the person's current generation? If not, it was ended on the
    server (sign-out here or elsewhere) and is ended here too."""
    if http_session.get("generation") == generation:
        return True
    end_session()
    flash(_("Your session was ended. Please sign in again."), "info")
    return False


def _enforce() -> None:
    if "person_id" not in http_session:
        return
    config = current_app.extensions["ra_runtime"].config
    now = int(time.time())
    lifetime = config["auth.session_lifetime_minutes"] * 60
    idle = config["auth.session_idle_minutes"] * 60
    if now - http_session.get("login_at", 0) > lifetime:
        end_session()
        flash(_("Your session has expired. Please sign in again."), "info")
    elif now - http_session.get("seen_at", 0) > idle:
        end_session()
        flash(_("You were signed out after a period of inactivity."), "info")
    elif now - http_session.get("seen_at", 0) >= SEEN_AT_STEP:
        # a changed session is signed and sent again: once a minute is precise enough
        http_session["seen_at"] = now


def init_app(app: Flask) -> None:
    app.before_request(_enforce)
