"""Run-time settings: the maintenance switch ("issuance paused"), and RA admins' overrides
of certificate profiles and CA connections."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session

from ra_console.adapters import overrides
from ra_console.adapters.settings import PAUSE_KEY, IssuancePause
from ra_console.models import OutboxMessage, Setting
from ra_console.workflow import audit
from ra_console.workflow.actor import Actor


def set_issuance_pause(session: Session, actor: Actor, pause: IssuancePause, now) -> None:
    setting = session.get(Setting, PAUSE_KEY) or Setting(key=PAUSE_KEY)
    setting.value = {"paused": pause.paused, "message_de": pause.message_de,
                     "message_en": pause.message_en}
    setting.updated_by, setting.updated_at = actor.username, now
    session.add(setting)
    if not pause.paused:  # resume at once instead of waiting out the retry backoff
        session.execute(update(OutboxMessage).where(
            OutboxMessage.kind == "ca.submit", OutboxMessage.state == "pending")
            .values(next_attempt_at=now))
    audit.append_event(session, entity_type="setting", entity_id=PAUSE_KEY,
                       trigger="pause" if pause.paused else "resume", actor=actor.username,
                       role="ra_admin", ip=actor.ip, data=setting.value)


def set_profile_override(session: Session, runtime, actor: Actor, role: str, name: str,
                         values: dict) -> dict:
    """Validate (OverrideError naming the field) and store the admin's values for profile
    `name`; only fields that differ from the configuration are kept. Returns the override.
    The caller commits, then calls runtime.invalidate_settings()."""
    override = overrides.check_profile_override(runtime.config, name, values)
    _store(session, runtime, actor, role, overrides.profile_key(name), override)
    return override


def set_ca_override(session: Session, runtime, actor: Actor, role: str, ca: str,
                    values: dict) -> dict:
    """The same for the non-secret keys of a remote CA connection."""
    override = overrides.check_ca_override(runtime.config, ca, values)
    _store(session, runtime, actor, role, overrides.ca_key(ca), override)
    return override


def reset_override(session: Session, runtime, actor: Actor, role: str, key: str) -> None:
    """Delete an override: the configuration is in force again."""
    setting = session.get(Setting, key)
    if setting is not None:
        session.delete(setting)
    audit.append_event(session, entity_type="setting", entity_id=key, trigger="reset",
                       actor=actor.username, role=role, ip=actor.ip, data={})


def _store(session: Session, runtime, actor: Actor, role: str, key: str,
           override: dict) -> None:
    setting = session.get(Setting, key)
    if override:
        setting = setting or Setting(key=key)
        setting.value = override
        setting.updated_by, setting.updated_at = actor.username, runtime.now()
        session.add(setting)
    elif setting is not None:  # the configuration's values again: nothing to keep
        session.delete(setting)
    audit.append_event(session, entity_type="setting", entity_id=key, trigger="update",
                       actor=actor.username, role=role, ip=actor.ip, data=override)
