"""Run-time settings: the maintenance switch ("issuance paused")."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session

from ..models import OutboxMessage, Setting
from ..workflow import audit
from ..workflow.actor import Actor

PAUSE_KEY = "issuance_pause"


@dataclass(frozen=True)
class IssuancePause:
    paused: bool = False
    message_de: str = ""
    message_en: str = ""

    def message(self, lang: str) -> str:
        return (self.message_de if lang == "de" else self.message_en) or self.message_en \
            or self.message_de


def issuance_pause(session: Session) -> IssuancePause:
    setting = session.get(Setting, PAUSE_KEY)
    if setting is None or not isinstance(setting.value, dict):
        return IssuancePause()
    value = setting.value
    return IssuancePause(bool(value.get("paused")), str(value.get("message_de", "")),
                         str(value.get("message_en", "")))


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
