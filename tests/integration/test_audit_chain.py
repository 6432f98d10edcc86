"""The audit log is hash-chained: any changed, deleted or cut-off event is detected."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from ra_console.workflow.audit import append_event, verify_chain


@pytest.fixture
def chain(runtime):
    with runtime.session() as s:
        for i in range(5):
            append_event(s, entity_type="person", entity_id=f"p{i}", trigger="login",
                         actor=f"user{i}", role="user", ip="192.0.2.1", data={"n": i, "ü": "ß"})
        s.commit()
    return runtime


def _sql(runtime, statement: str) -> None:
    with runtime.engine.begin() as connection:
        connection.execute(text(statement))


def test_intact_chain_verifies(chain):
    with chain.session() as s:
        result = verify_chain(s)
    assert result.ok and result.checked == 5


@pytest.mark.parametrize("statement, problem", [
    ("UPDATE audit_event SET actor = 'mallory' WHERE seq = 3", "event #3 was changed"),
    ("UPDATE audit_event SET to_state = 'issued' WHERE seq = 1", "event #1 was changed"),
    ("DELETE FROM audit_event WHERE seq = 2", "event #2 is missing"),
    ("DELETE FROM audit_event WHERE seq = 5", "events after #4 are missing"),
])
def test_tampering_is_detected(chain, statement, problem):
    _sql(chain, statement)
    with chain.session() as s:
        result = verify_chain(s)
    assert not result.ok
    assert result.problem == problem


def test_rehashing_one_event_still_breaks_the_next_link(chain):
    from sqlmodel import select

    from ra_console.models import AuditEvent
    from ra_console.workflow.audit import event_hash

    with chain.session() as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.seq == 2)).one()
        event.actor = "mallory"
        event.hash = event_hash(event)  # a careful forger recomputes this event's hash
        s.commit()
        result = verify_chain(s)
    assert not result.ok and result.problem == "event #3 was changed"


def test_cli_audit_verify(chain, monkeypatch):
    from ra_console.cli.main import main

    monkeypatch.setenv("RA_INSTANCE_PATH", chain.config["instance_path"])
    monkeypatch.setenv("RA_DATABASE_URL", chain.config["database_url"])
    ok = CliRunner().invoke(main, ["audit", "verify"])
    assert ok.exit_code == 0 and "intact: 5 events" in ok.output
    _sql(chain, "UPDATE audit_event SET ip = '198.51.100.7' WHERE seq = 4")
    bad = CliRunner().invoke(main, ["audit", "verify"])
    assert bad.exit_code == 1 and "event #4 was changed" in bad.output
