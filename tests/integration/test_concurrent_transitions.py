"""Two connections fire transitions on one row at the same moment (PostgreSQL, row locks):
the result must be one of the two serial orders, never both acting on a stale status.

The pairs come from workflows/*.yaml: every two triggers (the same one twice, a
double-click, included) that leave one state, so a new trigger is covered without a new
test. A pair is *conflicting* when neither trigger is possible after the other: exactly one
wins and the other gets `wrong_state`. For the other pairs the race must end as the serial
replay of the same order ends."""

from __future__ import annotations

import dataclasses
import itertools
import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlmodel import func, select

from ra_console.models import (
    AuditEvent,
    AuditHead,
    Certificate,
    IdentityCheck,
    Institute,
    Mailbox,
    MailboxAddress,
    OutboxMessage,
    Person,
    ProblemReport,
)
from ra_console.usecases import identity
from ra_console.usecases.addresses import MailboxInput, add_mailbox
from ra_console.usecases.requests import create_request
from ra_console.web.current import actor_for
from ra_console.workflow import workflows
from ra_console.workflow.actor import SYSTEM, Actor
from ra_console.workflow.audit import append_event, verify_chain
from ra_console.workflow.engine import create, fire
from ra_console.workflow.state import WorkflowError

CONSENTS = {"name_and_mailbox": True, "data_processing": True, "directory_publication": True}
MODELS = {"certificate": Certificate, "identity": IdentityCheck, "mailbox": Mailbox,
          "problem_report": ProblemReport}
# what a trigger carries where its effects need it (the sweep's reminder step)
TRIGGER_DATA = {"remind": {"step": 12}}
# Operators other than the row's person, with global scope (four-eyes conditions hold).
OPERATORS = {role: Actor(username=f"other-{role}", person_id=-1, roles={role: frozenset()})
             for role in ("ra_admin", "id_verifier")}


def person(s, username: str) -> Person:
    return s.exec(select(Person).where(Person.username == username)).one()


def new_row(s, runtime, workflow: str, csr: bytes, n: int):
    """A fresh row in the workflow's initial state, made by the use cases (n: 0 for the
    race, 1 for the replay, so the two rows do not block each other)."""
    if workflow == "certificate":
        erika = person(s, ("erika", "max")[n])
        mailbox = s.exec(select(Mailbox).where(Mailbox.owner_id == erika.id)).first()
        return create_request(s, runtime, actor_for(erika, s), erika,
                              mailbox_public_id=mailbox.public_id, aliases=[], csr=csr,
                              consents=CONSENTS)
    if workflow == "identity":
        gast = person(s, "gast")
        identity.start(s, actor_for(gast, s), gast)
        return s.exec(select(IdentityCheck).where(IdentityCheck.person_id == gast.id)
                      .order_by(IdentityCheck.id.desc())).first()
    if workflow == "mailbox":
        institute = s.exec(select(Institute).where(Institute.code == "ITC")).one()
        data = MailboxInput(primary=f"race{n}@itc.uni.example.org", username="max")
        return add_mailbox(s, SYSTEM, institute, data, max_aliases=2)
    if workflow == "problem_report":  # a report on a certificate of erika's (or max's)
        cert = new_row(s, runtime, "certificate", csr, n)
        now = runtime.now()
        report = ProblemReport(
            certificate_id=cert.id, serial=f"{n + 1:x}", kind="misuse", description="race",
            reporter_email="finder@example.org", created_at=now,
            due_at=now + timedelta(hours=24))
        create(s, report, Actor(username="reporter"))
        return report
    pytest.fail(f"no way to make a '{workflow}' row here: add it to new_row()")


def owner_id(row) -> int:
    return row.owner_id if isinstance(row, Mailbox) else row.person_id


def actor_for_trigger(s, row, transition) -> Actor:
    """The row's person when the trigger is theirs, else an operator, else the system."""
    if "user" in transition.roles:
        return actor_for(s.get(Person, owner_id(row)), s)
    for role, actor in OPERATORS.items():
        if role in transition.roles:
            return actor
    if "system" in transition.roles:
        return SYSTEM
    pytest.fail(f"no actor for '{transition.trigger}' (roles {sorted(transition.roles)})")


def _approval(wanted: bool):
    def prepare(s, runtime, row, monkeypatch):
        profile = runtime.profiles[row.profile]
        monkeypatch.setitem(runtime.profiles, row.profile,
                            dataclasses.replace(profile, approval_required=wanted))
    return prepare


def _confirm_addresses(s, runtime, row, monkeypatch):
    for address in s.exec(select(MailboxAddress).where(MailboxAddress.mailbox_id == row.id)):
        address.verified_at, address.method = runtime.now(), "challenge"


def _from_idm(s, runtime, row, monkeypatch):
    row.source = "idm"


def _holds(*_args):
    """Holds on the rows new_row() makes, for the actors actor_for_trigger() picks."""


# condition -> (make it hold, make it fail); a new condition fails the test until listed
PREPARE = {
    "needs_approval": (_approval(True), _approval(False)),
    "mailbox_is_requestable": (_holds, None),
    "actor_is_not_requester": (_holds, None),
    "actor_is_not_subject": (_holds, None),
    "has_unconfirmed_address": (_holds, None),
    "name_is_approved": (_holds, None),
    "never_challenged": (_holds, None),
    "all_addresses_confirmed": (_confirm_addresses, None),
    "is_idm_mailbox": (_from_idm, None),
}


def prepare(s, runtime, row, transition, monkeypatch) -> None:
    for name, wanted in [*((c, 0) for c in transition.conditions),
                         *((c, 1) for c in transition.unless)]:
        step = PREPARE.get(name, (None, None))[wanted]
        if step is None:
            pytest.fail(f"condition '{name}': add to PREPARE how this test makes it "
                        f"{'fail' if wanted else 'hold'}")
        step(s, runtime, row, monkeypatch)


def path_to(workflow, state: str) -> list:
    """The shortest chain of transitions from the initial state to `state`."""
    paths, todo = {workflow.initial: []}, [workflow.initial]
    while todo:
        here = todo.pop(0)
        for t in workflow.transitions_from(here):
            if t.dest not in paths:
                paths[t.dest] = [*paths[here], t]
                todo.append(t.dest)
    return paths[state]


def row_in_state(runtime, workflow, state: str, csr: bytes, monkeypatch, n: int) -> int:
    """A committed row in `state`, brought there through the workflow."""
    with runtime.session() as s:
        row = new_row(s, runtime, workflow.name, csr, n)
        for t in path_to(workflow, state):
            prepare(s, runtime, row, t, monkeypatch)
            fire(s, row, t.trigger, actor_for_trigger(s, row, t),
                 **TRIGGER_DATA.get(t.trigger, {}))
        s.commit()
        return row.id


def first_transition(workflow, state: str, trigger: str):
    return next(t for t in workflow.transitions_from(state) if t.trigger == trigger)


def outcome(runtime, workflow, row_id: int, trigger: str, state: str, barrier=None) -> str:
    """Fire `trigger` in a session of its own: "ok" or the refusal's code."""
    with runtime.session() as s:
        row = s.get(MODELS[workflow.name], row_id)
        actor = actor_for_trigger(s, row, first_transition(workflow, state, trigger))
        if barrier is not None:
            barrier.wait(10)  # both rows are loaded (the old status) before either fires
        try:
            fire(s, row, trigger, actor, **TRIGGER_DATA.get(trigger, {}))
            s.commit()
            return "ok"
        except WorkflowError as exc:
            s.rollback()
            return exc.code


def mark(runtime) -> tuple[int, int]:
    """The last outbox row and audit event so far."""
    with runtime.session() as s:
        return (s.exec(select(func.max(OutboxMessage.id))).one() or 0,
                s.exec(select(func.max(AuditEvent.seq))).one() or 0)


def trace(runtime, workflow, row_id: int, since: tuple[int, int]) -> dict:
    """The row's status, its transitions in audit order, the outbox rows written since."""
    with runtime.session() as s:
        row = s.get(MODELS[workflow.name], row_id)
        events = s.exec(select(AuditEvent).where(
            AuditEvent.entity_id == row.public_id, AuditEvent.entity_type == workflow.name,
            AuditEvent.seq > since[1]).order_by(AuditEvent.seq)).all()
        effects = Counter(s.exec(select(OutboxMessage.kind).where(
            OutboxMessage.id > since[0])).all())
        assert verify_chain(s).ok
        return {"status": row.status, "effects": effects,
                "triggers": [e.trigger for e in events if e.trigger != "create"]}


def blocks(leaving: dict, first: str, then: str) -> bool:
    """`then` is impossible wherever `first` ends."""
    return all(done.dest not in t.sources for done in leaving[first] for t in leaving[then])


def racing_pairs():
    """(workflow, state, a, b, conflicting) for every two triggers leaving one state."""
    for workflow in workflows().values():
        for state in workflow.states:
            leaving = {t.trigger: [x for x in workflow.transitions_from(state)
                                   if x.trigger == t.trigger]
                       for t in workflow.transitions_from(state)}
            for a, b in itertools.combinations_with_replacement(sorted(leaving), 2):
                conflicting = blocks(leaving, a, b) and blocks(leaving, b, a)
                yield pytest.param(workflow.name, str(state), a, b, conflicting,
                                   id=f"{workflow.name}-{state}-{a}-{b}")


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("name,state,first,second,conflicting", list(racing_pairs()))
def test_transitions_racing_on_one_row(seeded, new_csr, monkeypatch, name, state, first,
                                       second, conflicting):
    workflow = workflows()[name]
    row_id = row_in_state(seeded, workflow, state, new_csr()[1], monkeypatch, 0)
    with seeded.session() as s:  # both triggers' conditions hold in `state`
        row = s.get(MODELS[name], row_id)
        for trigger in {first, second}:
            prepare(s, seeded, row, first_transition(workflow, state, trigger), monkeypatch)
        s.commit()

    barrier, results, since = threading.Barrier(2), {}, mark(seeded)

    def run(key, trigger):
        results[key] = outcome(seeded, workflow, row_id, trigger, state, barrier)

    threads = [threading.Thread(target=run, args=(key, trigger))
               for key, trigger in (("a", first), ("b", second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    raced = trace(seeded, workflow, row_id, since)

    if conflicting:  # exactly one wins; the other sees the winner's status
        assert sorted(results.values()) == ["ok", "wrong_state"], results
        assert len(raced["triggers"]) == 1, raced
    assert "ok" in results.values(), results
    # Replay the order the race took on a fresh row, one after the other.
    winner = raced["triggers"][0]
    loser = second if winner == first else first
    replay_id = row_in_state(seeded, workflow, state, new_csr()[1], monkeypatch, 1)
    with seeded.session() as s:
        row = s.get(MODELS[name], replay_id)
        for trigger in {first, second}:
            prepare(s, seeded, row, first_transition(workflow, state, trigger), monkeypatch)
        s.commit()
    since = mark(seeded)
    replayed = [outcome(seeded, workflow, replay_id, winner, state),
                outcome(seeded, workflow, replay_id, loser, state)]
    assert replayed[0] == "ok"
    assert sorted(results.values()) == sorted(replayed), (results, replayed)
    assert raced == trace(seeded, workflow, replay_id, since)


def test_every_state_with_two_ways_out_is_raced():
    """The generator finds the conflicts the definitions hold today (a guard against a
    generator that silently yields nothing)."""
    ids = {p.id: p.values[-1] for p in racing_pairs()}
    assert ids["certificate-requested-submit-submit"]  # the double-clicked "send"
    assert ids["certificate-requested-delete-submit"]
    assert ids["identity-started-reject-verify"]
    assert not ids["certificate-pending_approval-approve-reject"]  # reject also from sent
    assert not ids["mailbox-pending_challenge-resend-resend"]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_two_writers_append_to_one_audit_chain(seeded):
    """Two connections (as two outbox drainers) append at once: each reads the head under
    its lock, so no sequence number is taken twice and the chain stays one chain."""
    barrier, failures, rounds = threading.Barrier(2), [], 60

    def write(name: str):
        with seeded.session() as s:
            s.get(AuditHead, 1)  # the head as it was before the other writer's appends
            barrier.wait(10)
            for i in range(rounds):
                try:
                    append_event(s, entity_type="test", entity_id=f"{name}{i}",
                                 trigger="append", actor=name, role="system")
                    s.commit()
                except Exception as exc:  # noqa: BLE001 - every failure is reported
                    s.rollback()
                    failures.append(type(exc).__name__)

    threads = [threading.Thread(target=write, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert failures == []
    with seeded.session() as s:
        check = verify_chain(s)
        written = s.exec(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.entity_type == "test")).one()
    assert check.ok, check.problem
    assert written == 2 * rounds
