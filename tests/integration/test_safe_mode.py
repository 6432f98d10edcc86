"""Safe mode of a restored copy: the runner sends no mail, makes no directory change and no
CA call (the outbox stays pending), every page says so, and only `ra-console safe-mode
lift` (audited) ends it, never forgetting the switch."""

from __future__ import annotations

import pytest
from sqlmodel import select

from ra_console.models import AuditEvent, Certificate, OutboxMessage
from ra_console.usecases.safe_mode import SafeModeError, lift


@pytest.fixture
def config_overrides(smtp_config):
    return {**smtp_config, "safe_mode": True, "directory.enabled": True}


def _triggers(runtime, trigger: str) -> list[AuditEvent]:
    with runtime.session() as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.trigger == trigger)))


def _outbox_states(runtime) -> set[str]:
    with runtime.session() as s:
        return {m.state for m in s.exec(select(OutboxMessage))}


def test_safe_mode_holds_the_outbox_until_lifted(request_certificate, browser, run_jobs,
                                                  seeded, smtp):
    [entered] = _triggers(seeded, "safe_mode_entered")  # recorded when the app started
    assert entered.actor == "start"
    public_id = request_certificate()
    for page in ("/certificates", "/console/", "/pki/", f"/certificates/{public_id}"):
        response = browser.get(page, headers={"Accept-Language": "de"})
        assert 'id="safe-mode"' in response.get_data(as_text=True), page
    assert "Sicherer Modus" in browser.get("/pki/", headers={
        "Accept-Language": "de"}).get_data(as_text=True)
    run_jobs()
    run_jobs()
    with seeded.session() as s:
        cert = s.exec(select(Certificate).where(Certificate.public_id == public_id)).one()
        assert cert.status == "sent" and cert.serial is None  # no CA call
    assert _outbox_states(seeded) == {"pending"} and smtp.messages == []

    with seeded.session() as s:  # the switch is still on: lifting is refused
        with pytest.raises(SafeModeError, match="RA_SAFE_MODE"):
            lift(s, seeded.config, "cli:root", seeded.now())
    seeded.config["safe_mode"] = False  # the operator removed the switch and restarted
    run_jobs()
    assert _outbox_states(seeded) == {"pending"}  # the database remembers
    with seeded.session() as s:
        assert lift(s, seeded.config, "cli:root", seeded.now())
        s.commit()
    [lifted] = _triggers(seeded, "safe_mode_lifted")
    assert lifted.actor == "cli:root"
    seeded.invalidate_settings()  # other processes: within settings_cache_seconds
    assert 'id="safe-mode"' not in browser.get("/certificates").get_data(as_text=True)
    run_jobs()
    run_jobs()
    with seeded.session() as s:
        cert = s.exec(select(Certificate).where(Certificate.public_id == public_id)).one()
        assert cert.status == "issued"
    assert smtp.messages  # now the mails go out

