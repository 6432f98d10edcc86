"""Safe mode for a restored copy: entered from the configuration switch when a process
starts, recorded in the database (so that the copy stays safe when the switch is
forgotten later), lifted only by `ra-console safe-mode lift`. Both are audited."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from ra_console.adapters.settings import SAFE_MODE_KEY, recorded_safe_mode
from ra_console.models import Setting
from ra_console.workflow import audit


class SafeModeError(Exception):
    """Safe mode cannot be lifted now; the message says why (read in a shell)."""


def _record(session: Session, on: bool, by: str, now) -> None:
    setting = session.get(Setting, SAFE_MODE_KEY) or Setting(key=SAFE_MODE_KEY)
    setting.value = {"on": on, "by": by, "at": now.isoformat()}
    setting.updated_by, setting.updated_at = by, now
    session.add(setting)
    audit.append_event(session, entity_type="setting", entity_id=SAFE_MODE_KEY,
                       trigger="safe_mode_entered" if on else "safe_mode_lifted",
                       actor=by, role="system" if on else "ra_admin", data={})


def enter_from_config(runtime, by: str) -> bool:
    """Record safe mode when the configuration asks for it and the database does not know
    yet; True when recorded now. Several processes may start at once: one records it."""
    if not runtime.config["safe_mode"]:
        return False
    with runtime.session() as session:
        if recorded_safe_mode(session):
            return False
        _record(session, True, by, runtime.now())
        try:
            session.commit()
        except IntegrityError:  # another process recorded it first
            session.rollback()
            return False
    return True


def lift(session: Session, config: dict, by: str, now) -> bool:
    """Leave safe mode: the job runner acts on the world again. False when it was not on.
    The caller commits."""
    if config["safe_mode"]:
        raise SafeModeError("the configuration still switches safe mode on: remove "
                            "RA_SAFE_MODE (or safe_mode in the site file) first")
    if not recorded_safe_mode(session):
        return False
    _record(session, False, by, now)
    return True
