"""The job runner's batches (adapters/outbox.drain with `batched` kinds): one transaction
and one savepoint per batch, redone one savepoint per message when a message fails, audit
events chained at the batch's commit."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlmodel import select
from support import send_requests

from ra_console.adapters import outbox
from ra_console.jobs.sweeps import drain_outbox
from ra_console.models import AuditEvent, Certificate, OutboxMessage
from ra_console.pki.issuance_log import issued_serials
from ra_console.workflow.audit import append_event, chained_at_commit, verify_chain

KIND = "test.batched"


CALLS: list[int] = []  # the messages _audited was called for, in order


def _audited(session, message) -> None:
    """Writes an audit event, then fails for message 1 (after the event)."""
    CALLS.append(message.payload["n"])
    append_event(session, entity_type="test", entity_id=str(message.payload["n"]),
                 trigger="handled", actor="system", role="system")
    if message.payload["n"] == 1:
        raise RuntimeError("the CA said no")


def _drain(runtime) -> int:
    return outbox.drain(lambda: chained_at_commit(runtime.session()), {KIND: _audited},
                        now=runtime.now, batch_size=10, max_attempts=3, backoff_seconds=60,
                        backoff_max_seconds=60, batched=frozenset({KIND}))


def test_a_failed_message_leaves_no_trace_in_its_batch(runtime):
    with runtime.session() as s:
        for n in range(3):
            outbox.enqueue(s, KIND, {"n": n}, f"{KIND}:{n}")
        s.commit()
    CALLS.clear()
    assert _drain(runtime) == 2
    # the batch ran 0 and 1, then was redone one by one: 0 again, 1 not (its failure is
    # kept: an outside call that failed is not made twice), 2 for the first time
    assert CALLS == [0, 1, 0, 2]
    with runtime.session() as s:
        events = s.exec(select(AuditEvent).where(AuditEvent.entity_type == "test")
                        .order_by(AuditEvent.seq)).all()
        assert [e.entity_id for e in events] == ["0", "2"]  # message 1's event rolled back
        states = {m.payload["n"]: m for m in s.exec(select(OutboxMessage)).all()}
        assert states[0].state == states[2].state == "done"
        assert states[1].state == "pending" and states[1].attempts == 1
        assert "the CA said no" in states[1].last_error
        assert verify_chain(s).ok
    assert _drain(runtime) == 0  # message 1 waits for its backoff


def test_a_batch_holds_the_audit_head_only_while_it_commits(runtime):
    """Events of an open batch are chained at its commit: meanwhile other writers append
    (on PostgreSQL they would otherwise wait for the head row's lock until the commit)."""
    batch = chained_at_commit(runtime.session())
    append_event(batch, entity_type="test", entity_id="batch", trigger="handled",
                 actor="system", role="system")
    batch.flush()
    with runtime.session() as other:
        if other.get_bind().dialect.name == "postgresql":
            other.execute(text("SET LOCAL lock_timeout = '3s'"))
        append_event(other, entity_type="test", entity_id="other", trigger="handled",
                     actor="system", role="system")
        other.commit()
    batch.commit()
    batch.close()
    with runtime.session() as s:
        events = s.exec(select(AuditEvent).where(AuditEvent.entity_type == "test")
                        .order_by(AuditEvent.seq)).all()
        assert [e.entity_id for e in events] == ["other", "batch"]
        assert events[1].seq == events[0].seq + 1
        assert verify_chain(s).ok


def test_only_the_batched_kinds_when_others_wait(runtime):
    """others=False (the bench's issuance phase): other kinds stay pending for later."""
    with runtime.session() as s:
        outbox.enqueue(s, KIND, {"n": 0}, f"{KIND}:0")
        outbox.enqueue(s, "other", {}, "other:0")
        s.commit()
    handled = outbox.drain(lambda: chained_at_commit(runtime.session()),
                           {KIND: _audited, "other": _audited}, now=runtime.now,
                           batch_size=10, max_attempts=3, backoff_seconds=60,
                           backoff_max_seconds=60, batched=frozenset({KIND}), others=False)
    assert handled == 1
    with runtime.session() as s:
        states = {m.kind: (m.state, m.attempts) for m in s.exec(select(OutboxMessage)).all()}
    assert states == {KIND: ("done", 1), "other": ("pending", 0)}


def _mailing(session, message) -> None:
    """Enqueues a mail (deferred to the commit), then fails for message 1."""
    outbox.enqueue(session, "mail", {"n": message.payload["n"]},
                   f"mail:test:{message.payload['n']}")
    if message.payload["n"] == 1:
        raise RuntimeError("the CA said no")


def test_mail_rows_of_a_batch_are_inserted_at_commit_without_the_failed_ones(runtime):
    with runtime.session() as s:
        for n in range(3):
            outbox.enqueue(s, KIND, {"n": n}, f"{KIND}:{n}")
        outbox.enqueue(s, "mail", {"n": 2, "first": True}, "mail:test:2")  # already there
        s.commit()
    handled = outbox.drain(
        lambda: outbox.inserted_at_commit(chained_at_commit(runtime.session())),
        {KIND: _mailing}, now=runtime.now, batch_size=10, max_attempts=3,
        backoff_seconds=60, backoff_max_seconds=60, batched=frozenset({KIND}),
        others=False)
    assert handled == 2
    with runtime.session() as s:
        mails = {m.dedupe_key: m for m in s.exec(select(OutboxMessage).where(
            OutboxMessage.kind == "mail")).all()}
        assert set(mails) == {"mail:test:0", "mail:test:2"}  # message 1's mail rolled back
        assert mails["mail:test:2"].payload.get("first") is True  # the stored one kept
        assert mails["mail:test:0"].state == "pending"


def test_rows_locked_for_a_batch_are_not_locked_again_in_its_transaction(runtime):
    from sqlalchemy import event

    from ra_console.core.db import lock_row, lock_rows

    with runtime.session() as s:
        for n in range(3):
            outbox.enqueue(s, KIND, {"n": n}, f"{KIND}:{n}")
        s.commit()
    statements = []

    def locks(statement: str) -> bool:  # FOR UPDATE; on SQLite the no-op UPDATE
        return "FOR UPDATE" in statement or statement.lstrip().startswith("UPDATE")

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", record)
    try:
        with runtime.session() as s:
            rows = lock_rows(s, OutboxMessage, OutboxMessage.kind == KIND)
            assert [r.payload["n"] for r in rows] == [0, 1, 2]
            before = len(statements)
            with s.begin_nested():
                lock_row(s, rows[1])  # locked and loaded already: nothing sent
                try:
                    lock_rows(s, OutboxMessage, OutboxMessage.kind == KIND)
                    raise AssertionError("lock_rows inside a savepoint must refuse")
                except RuntimeError:
                    pass
            assert not [x for x in statements[before:] if locks(x)]
            s.commit()
            before = len(statements)
            lock_row(s, rows[1])  # a new transaction: locked again
            assert [x for x in statements[before:] if locks(x)]
            s.rollback()
    finally:
        event.remove(runtime.engine, "before_cursor_execute", record)


def test_a_failing_request_makes_its_batch_redo_without_submitting_twice(app, runtime,
                                                                        new_csr):
    """A batch of CA submissions in which one message fails (its request is gone): the
    batch's savepoint is rolled back and the batch redone message by message. The
    requests handled before the failure are issued from the CA's answer the batch kept,
    not submitted again: the local CA's issuance register holds one certificate each."""
    ids = send_requests(runtime, 3, new_csr)
    with runtime.session() as s:
        outbox.enqueue(s, "ca.submit", {"certificate": "no-such-request"}, "test:missing")
        s.commit()
    ids += send_requests(runtime, 1, new_csr)  # claimed after the failing one
    ca_dir = Path(runtime.config["pki.local_ca_path"])
    signed_before = issued_serials(ca_dir)
    with app.app_context():
        assert drain_outbox(runtime, only_batched=True) == 4
    with runtime.session() as s:
        certs = [s.get(Certificate, cert_id) for cert_id in ids]
        assert [c.status for c in certs] == ["issued"] * 4
        assert issued_serials(ca_dir) - signed_before == {int(c.serial, 16) for c in certs}
        issue_events = s.exec(select(AuditEvent.entity_id).where(
            AuditEvent.trigger == "issue")).all()
        assert sorted(issue_events) == sorted(c.public_id for c in certs)
        failed = s.exec(select(OutboxMessage).where(
            OutboxMessage.dedupe_key == "test:missing")).one()
        assert (failed.state, failed.attempts) == ("pending", 1)
        assert "LookupError" in failed.last_error
        assert verify_chain(s).ok
