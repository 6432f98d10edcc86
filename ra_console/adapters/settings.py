"""Stored run-time settings, read: the maintenance switch ("issuance paused") and RA
admins' overrides of certificate profiles and CA connections (written by
ra_console.usecases.settings)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from ra_console.adapters import overrides
from ra_console.models import Setting

PAUSE_KEY = "issuance_pause"
BREAKER_KEY = "removal_breaker"
SAFE_MODE_KEY = "safe_mode"


@dataclass(frozen=True)
class IssuancePause:
    paused: bool = False
    message_de: str = ""
    message_en: str = ""

    def message(self, lang: str) -> str:
        return (self.message_de if lang == "de" else self.message_en) or self.message_en \
            or self.message_de


def issuance_pause(session: Session) -> IssuancePause:
    """The switch as stored now (the job runner asks once per batch of submissions)."""
    setting = session.get(Setting, PAUSE_KEY)
    return _pause(setting.value if setting is not None else None)


def cached_issuance_pause(runtime) -> IssuancePause:
    """The switch as the per-process settings snapshot has it (at most
    settings_cache_seconds old; at once in the process that flipped it): for the banner
    on every page, without a query per page."""
    return _pause(runtime.settings().rows.get(PAUSE_KEY))


def _pause(value) -> IssuancePause:
    if not isinstance(value, dict):
        return IssuancePause()
    return IssuancePause(bool(value.get("paused")), str(value.get("message_de", "")),
                         str(value.get("message_en", "")))


def recorded_safe_mode(session: Session) -> bool:
    """The database's own record that it entered safe mode and was not lifted since
    (usecases.safe_mode)."""
    setting = session.get(Setting, SAFE_MODE_KEY)
    return _safe(setting.value if setting is not None else None)


def safe_mode(session: Session, config: dict) -> bool:
    """Safe mode (a restored copy): the switch in the configuration, or the record."""
    return config["safe_mode"] or recorded_safe_mode(session)


def cached_safe_mode(runtime) -> bool:
    """The same from the per-process settings snapshot: for the banner on every page."""
    return runtime.config["safe_mode"] or _safe(runtime.settings().rows.get(SAFE_MODE_KEY))


def _safe(value) -> bool:
    return isinstance(value, dict) and bool(value.get("on"))


@dataclass(frozen=True)
class RemovalBreaker:
    """Offboarding's circuit breaker (written by ra_console.usecases.breaker)."""

    tripped: bool = False
    what: str = ""  # "persons" or "addresses": what one run would have removed too many of
    count: int = 0
    total: int = 0
    confirmed_up_to: int = 0  # an RA admin let the next run remove up to this many
    confirmed_by: str = ""


def removal_breaker(session: Session) -> RemovalBreaker:
    setting = session.get(Setting, BREAKER_KEY)
    value = setting.value if setting is not None and isinstance(setting.value, dict) else {}
    return RemovalBreaker(**{k: v for k, v in value.items()
                             if k in RemovalBreaker.__dataclass_fields__})


# --- certificate profiles and CA connections (rules and merging: ra_console/overrides.py) --
def profile_override(session: Session, name: str) -> dict:
    """The stored override of profile `name` ({} when the configuration is in force)."""
    setting = session.get(Setting, overrides.profile_key(name))
    return dict(setting.value) if setting is not None and isinstance(setting.value, dict) \
        else {}


def ca_override(session: Session, ca: str) -> dict:
    setting = session.get(Setting, overrides.ca_key(ca))
    return dict(setting.value) if setting is not None and isinstance(setting.value, dict) \
        else {}
