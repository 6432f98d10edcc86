"""The audit log is chained with HMAC-SHA256 (a key outside the database) and its head is
witnessed outside the database: any changed, deleted or cut-off event is detected and named,
also when the forger rewrote the head row or recomputed every hash."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from sqlmodel import select

from ra_console.adapters.runtime import build_runtime
from ra_console.cli.main import main
from ra_console.models import AuditEvent, AuditHead
from ra_console.workflow.audit import (
    GENESIS,
    AuditChainError,
    append_event,
    event_hash,
    plain_hash,
    rekey_chain,
    verify_chain,
)


def _append(runtime, count: int, start: int = 0) -> None:
    with runtime.session() as s:
        for i in range(start, start + count):
            append_event(s, entity_type="person", entity_id=f"p{i}", trigger="login",
                         actor=f"user{i}", role="user", ip="192.0.2.1", data={"n": i, "ü": "ß"})
        s.commit()


@pytest.fixture
def chain(runtime):
    for i in range(5):  # one transaction per event, as pages and jobs write them
        _append(runtime, 1, start=i)
    return runtime


def _sql(runtime, statement: str, **params) -> None:
    with runtime.engine.begin() as connection:
        connection.execute(text(statement), params)


def _check(runtime, **kwargs):
    with runtime.session() as s:
        return verify_chain(s, **kwargs)


def _recompute_without_key(runtime, hasher) -> None:
    """What a forger with write access to the database does: rehash every event and the
    head row, without the audit key."""
    with runtime.session() as s:
        prev = GENESIS
        for event in s.exec(select(AuditEvent).order_by(AuditEvent.seq)).all():
            event.prev_hash = prev
            event.actor = "mallory" if event.seq == 2 else event.actor
            event.hash = prev = hasher(event)
        head = s.get(AuditHead, 1)
        head.hash = prev
        s.commit()


def test_intact_chain_verifies_against_the_witness(chain):
    result = _check(chain)
    assert result.ok and result.checked == 5 and result.witnessed == 5
    lines = chain.witness.path.read_text().splitlines()
    assert [int(line.split()[0]) for line in lines] == [1, 2, 3, 4, 5]


def _rewind_head(runtime) -> None:
    _sql(runtime, "DELETE FROM audit_event WHERE seq = 5")
    _sql(runtime, "UPDATE audit_head SET seq = 4, hash = (SELECT hash FROM audit_event "
                  "WHERE seq = 4)")


TAMPERING = {
    "change_an_event": (
        lambda r: _sql(r, "UPDATE audit_event SET actor = 'mallory' WHERE seq = 3"),
        "mac_changed", {"seq": 3}, "event #3 was changed (its MAC)"),
    "delete_a_middle_event": (
        lambda r: _sql(r, "DELETE FROM audit_event WHERE seq = 2"),
        "missing", {"seq": 2, "next": 3}, "event #2 is missing (next is #3)"),
    "delete_the_tail": (
        lambda r: _sql(r, "DELETE FROM audit_event WHERE seq >= 4"),
        "tail_missing", {"first": 4, "last": 5},
        "events #4 to #5 are missing (the head row names #5)"),
    "delete_the_tail_and_the_head_row": (
        lambda r: (_sql(r, "DELETE FROM audit_event WHERE seq = 5"),
                   _sql(r, "DELETE FROM audit_head")),
        "head_missing", {"last": 4}, "the head row is missing (the chain ends at #4)"),
    "rewind_the_head": (
        _rewind_head, "witnessed_missing", {"first": 5, "last": 5, "at": "2026-11-02T09:00:00Z"},
        "events #5 to #5 are missing (witnessed at 2026-11-02T09:00:00Z)"),
    "recompute_every_hash_with_plain_sha256": (
        lambda r: _recompute_without_key(r, plain_hash),
        "mac_changed", {"seq": 1}, "event #1 was changed (its MAC)"),
    "recompute_every_hash_with_a_guessed_key": (
        lambda r: _recompute_without_key(r, lambda e: event_hash(e, b"guessed")),
        "mac_changed", {"seq": 1}, "event #1 was changed (its MAC)"),
}


@pytest.mark.parametrize("tampering", TAMPERING)
def test_tampering_is_detected_and_named(chain, tampering):
    tamper, code, params, text_ = TAMPERING[tampering]
    assert _check(chain).ok
    tamper(chain)
    result = _check(chain)
    assert not result.ok
    assert (result.code, result.params, result.problem) == (code, params, text_)


def test_without_the_witness_a_rewound_head_goes_unseen(chain):
    """Why the witness exists: the database alone cannot tell a rewound head."""
    _rewind_head(chain)
    assert _check(chain, use_witness=False).ok
    assert not _check(chain).ok


def test_a_changed_or_missing_witness_is_an_error(chain):
    path = chain.witness.path
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:2] + lines[3:]))  # line 3 removed
    result = _check(chain)
    assert result.code == "witness_changed" and result.params["line"] == 3
    path.unlink()
    assert _check(chain).code == "witness_missing"


def test_appending_after_the_head_row_was_deleted_is_refused(chain):
    _sql(chain, "DELETE FROM audit_head")
    with pytest.raises(AuditChainError, match="head row is missing"):
        _append(chain, 1, start=9)


def test_rolled_back_events_are_not_witnessed(chain):
    with chain.session() as s:
        append_event(s, entity_type="person", entity_id="x", trigger="login", actor="x",
                     role="user")
        s.rollback()
    with chain.session() as s:
        with pytest.raises(ValueError):
            with s.begin_nested():
                append_event(s, entity_type="person", entity_id="y", trigger="login",
                             actor="y", role="user")
                raise ValueError("the savepoint is rolled back")
        append_event(s, entity_type="person", entity_id="z", trigger="login", actor="z",
                     role="user")
        s.commit()
    result = _check(chain)
    assert result.ok and result.checked == 6 and result.witnessed == 6
    assert len(chain.witness.path.read_text().splitlines()) == 6


def test_witness_lines_also_go_to_syslog(tmp_path, chain):
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(5)
    port = receiver.getsockname()[1]
    config = {**chain.config, "audit.witness_syslog": f"127.0.0.1:{port}"}
    runtime = build_runtime(config, engine=chain.engine)
    runtime.clock = chain.clock
    try:
        _append(runtime, 1, start=5)
        message = receiver.recv(4096).decode()
    finally:
        receiver.close()
        for handler in runtime.witness.log.handlers:
            handler.close()
    last_line = chain.witness.path.read_text().splitlines()[-1]
    assert message.endswith(f"ra-console audit head {last_line}\x00")
    assert last_line.startswith("6 ")


def test_an_unkeyed_chain_is_rekeyed_once_and_a_broken_one_refused(chain):
    _recompute_without_key(chain, plain_hash)  # as written before the key existed
    _sql(chain, "UPDATE audit_event SET actor = 'user1' WHERE seq = 2")
    _recompute_without_key(chain, plain_hash)
    assert _check(chain).code == "mac_changed"
    with chain.session() as s:
        assert rekey_chain(s) == 5
        s.commit()
    result = _check(chain)
    assert result.ok and result.checked == 6 and result.witnessed == 6
    with chain.session() as s:
        assert rekey_chain(s) == 0
    _recompute_without_key(chain, plain_hash)
    _sql(chain, "UPDATE audit_event SET ip = '198.51.100.7' WHERE seq = 3")
    with chain.session() as s, pytest.raises(AuditChainError, match="event #3"):
        rekey_chain(s)


def test_cli_audit_verify_names_the_break(chain, monkeypatch):
    monkeypatch.setenv("RA_INSTANCE_PATH", chain.config["instance_path"])
    monkeypatch.setenv("RA_DATABASE_URL", chain.config["database_url"])
    ok = CliRunner().invoke(main, ["audit", "verify"])
    assert ok.exit_code == 0 and "intact: 5 events, witnessed up to #5" in ok.output
    _rewind_head(chain)
    bad = CliRunner().invoke(main, ["audit", "verify"])
    assert bad.exit_code == 1 and "events #5 to #5 are missing (witnessed at" in bad.output
    blind = CliRunner().invoke(main, ["audit", "verify", "--without-witness"])
    assert blind.exit_code == 0 and "intact: 4 events" in blind.output


def test_cli_db_upgrade_rekeys_an_old_chain(chain, monkeypatch):
    _recompute_without_key(chain, plain_hash)
    monkeypatch.setenv("RA_INSTANCE_PATH", chain.config["instance_path"])
    monkeypatch.setenv("RA_DATABASE_URL", chain.config["database_url"])
    upgraded = CliRunner().invoke(main, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert "5 events re-keyed" in upgraded.output
    assert CliRunner().invoke(main, ["audit", "verify"]).exit_code == 0
    key_file = Path(chain.config["instance_path"]) / "audit_key"
    assert key_file.stat().st_mode & 0o777 == 0o600
