"""The circuit breaker of removals: one offboarding run that would revoke the certificates
of too many persons or addresses at once (an IdP or IdM mistake, not a wave of leavers)
waits for an RA admin's confirmation instead."""

from __future__ import annotations

from dataclasses import asdict, replace

from sqlmodel import Session

from ra_console.adapters.outbox import enqueue
from ra_console.adapters.settings import BREAKER_KEY, RemovalBreaker, removal_breaker
from ra_console.models import Setting
from ra_console.workflow import audit
from ra_console.workflow.actor import SYSTEM, Actor


def too_many(config: dict, counts: dict[str, tuple[int, int]]) -> tuple[str, int, int] | None:
    """(what, count, total) of the first kind above the configured share, else None.
    `counts` maps "persons"/"addresses" to (to be removed, all)."""
    percent, minimum = config["lifecycle.breaker_percent"], config["lifecycle.breaker_minimum"]
    for what, (count, total) in counts.items():
        if count >= max(minimum, 1) and count * 100 > percent * total:
            return what, count, total
    return None


def removals_allowed(session: Session, config: dict, counts: dict[str, tuple[int, int]],
                     now) -> bool:
    """May this run remove? No while tripped; trips (audited, RA admins alerted) when the
    run would remove too many, unless an RA admin confirmed that many. The caller commits."""
    state = removal_breaker(session)
    if state.tripped:
        return False
    if counts and state.confirmed_up_to:  # a confirmation covers the next run only
        _store(session, replace(state, confirmed_up_to=0), SYSTEM.username, now)
    excess = too_many(config, counts)
    if excess is None:
        return True
    what, count, total = excess
    if max(c for c, _ in counts.values()) <= state.confirmed_up_to:
        return True
    _store(session, RemovalBreaker(tripped=True, what=what, count=count, total=total),
           SYSTEM.username, now)
    audit.append_event(session, entity_type="setting", entity_id=BREAKER_KEY,
                       trigger="breaker_tripped", actor=SYSTEM.username, role="system",
                       data={"what": what, "count": count, "total": total})
    enqueue(session, "mail.admin_alert", {
        "template": "removals_paused", "path": "/console/settings/",
        "context": {"what": what, "count": count, "total": total,
                    "percent": config["lifecycle.breaker_percent"]}},
        f"mail.admin_alert:removals_paused:{now:%Y%m%d%H%M%S}")
    return False


def confirm_removals(session: Session, actor: Actor, now) -> bool:
    """An RA admin lets the paused run go ahead (once, up to the count it would remove).
    False when nothing was paused. The caller commits."""
    state = removal_breaker(session)
    if not state.tripped:
        return False
    confirmed = RemovalBreaker(confirmed_up_to=state.count, confirmed_by=actor.username)
    _store(session, confirmed, actor.username, now)
    audit.append_event(session, entity_type="setting", entity_id=BREAKER_KEY,
                       trigger="breaker_confirmed", actor=actor.username, role="ra_admin",
                       ip=actor.ip, data={"what": state.what, "count": state.count,
                                          "total": state.total})
    return True


def _store(session: Session, state: RemovalBreaker, by: str, now) -> None:
    setting = session.get(Setting, BREAKER_KEY) or Setting(key=BREAKER_KEY)
    setting.value, setting.updated_by, setting.updated_at = asdict(state), by, now
    session.add(setting)
    session.flush()
