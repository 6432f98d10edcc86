"""fire(): roles, scope, states, conditions, rollback, audit (concurrent firing:
test_concurrent_transitions.py)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from ra_console.models import AuditEvent, Certificate, Mailbox, OutboxMessage, Person
from ra_console.usecases.requests import RequestError, create_request
from ra_console.web.current import actor_for
from ra_console.workflow import registry
from ra_console.workflow.actor import SYSTEM, Actor
from ra_console.workflow.audit import verify_chain
from ra_console.workflow.engine import create, fire
from ra_console.workflow.state import WorkflowError, available

CONSENTS = {"name_and_mailbox": True, "data_processing": True, "directory_publication": True}


def person(session, username) -> Person:
    return session.exec(select(Person).where(Person.username == username)).one()


def idm_mailbox(session, who: Person) -> Mailbox:
    return session.exec(select(Mailbox).where(Mailbox.owner_id == who.id)).first()


@pytest.fixture
def request_of(seeded, new_csr):
    """Make a request for a demo person (committed); returns its id."""
    def make(username="erika"):
        with seeded.session() as s:
            who = person(s, username)
            cert = create_request(s, seeded, actor_for(who, s), who,
                                  mailbox_public_id=idm_mailbox(s, who).public_id, aliases=[],
                                  csr=new_csr()[1], consents=CONSENTS)
            s.commit()
            return cert.id
    return make


def test_owner_submits_and_audit_records_it(seeded, request_of):
    cert_id = request_of()
    with seeded.session() as s:
        cert = s.get(Certificate, cert_id)
        erika = actor_for(person(s, "erika"), s)
        assert [t.trigger for t in available(s, cert, erika)] == ["delete", "submit"]
        event = fire(s, cert, "submit", erika)
        s.commit()
        assert (event.from_state, event.to_state, event.role) == ("requested", "sent", "user")
        assert cert.status == "sent"
        kinds = {m.kind for m in s.exec(select(OutboxMessage))}
        assert kinds == {"ca.submit", "mail"}


def test_other_user_is_forbidden(seeded, request_of):
    cert_id = request_of("erika")
    with seeded.session() as s:
        cert = s.get(Certificate, cert_id)
        max_ = actor_for(person(s, "max"), s)
        assert available(s, cert, max_) == []
        with pytest.raises(WorkflowError) as info:
            fire(s, cert, "submit", max_)
        assert info.value.code == "forbidden"
        s.rollback()
        assert s.get(Certificate, cert_id).status == "requested"


def test_role_without_scope_and_system_only_transitions(seeded, request_of):
    cert_id = request_of()
    with seeded.session() as s:
        cert = s.get(Certificate, cert_id)
        erika = actor_for(person(s, "erika"), s)
        fire(s, cert, "submit", erika)
        s.commit()
        with pytest.raises(WorkflowError) as info:
            fire(s, cert, "issue", erika)  # only the system issues
        assert info.value.code == "forbidden"
        s.rollback()
        nk = actor_for(person(s, "nk-phys"), s)  # network contact, but not of this row
        with pytest.raises(WorkflowError):
            fire(s, cert, "reject", nk)
        s.rollback()
        admin = actor_for(person(s, "admin"), s)
        fire(s, cert, "reject", admin, reason="test")
        s.commit()
        assert s.get(Certificate, cert_id).status == "rejected"


def test_wrong_state_and_unknown_trigger(seeded, request_of):
    cert_id = request_of()
    with seeded.session() as s:
        cert = s.get(Certificate, cert_id)
        with pytest.raises(WorkflowError) as info:
            fire(s, cert, "revoke", actor_for(person(s, "erika"), s))
        assert info.value.code == "wrong_state"
        with pytest.raises(WorkflowError) as info:
            fire(s, cert, "explode", SYSTEM)
        assert info.value.code == "unknown_trigger"


def test_failing_effect_rolls_everything_back(seeded, request_of, monkeypatch):
    cert_id = request_of()

    def broken(ctx):
        raise RuntimeError("mail queue on fire")
    monkeypatch.setitem(registry.EFFECTS, "notify_received", broken)
    with seeded.session() as s:
        cert = s.get(Certificate, cert_id)
        events_before = len(s.exec(select(AuditEvent)).all())
        with pytest.raises(RuntimeError):
            fire(s, cert, "submit", actor_for(person(s, "erika"), s))
        s.rollback()
    with seeded.session() as s:
        assert s.get(Certificate, cert_id).status == "requested"
        assert s.exec(select(OutboxMessage)).all() == []
        assert len(s.exec(select(AuditEvent)).all()) == events_before
        assert verify_chain(s).ok


def test_condition_blocks_second_send_for_same_address(seeded, request_of):
    first = request_of()
    with seeded.session() as s:
        erika = actor_for(person(s, "erika"), s)
        with pytest.raises(RequestError) as refused:  # one open request per address …
            create_request(s, seeded, erika, person(s, "erika"),
                           mailbox_public_id=idm_mailbox(s, person(s, "erika")).public_id,
                           aliases=[], csr=b"", consents=CONSENTS)
        assert refused.value.code == "unsent_request"
        draft = s.get(Certificate, first)  # … but two made at the same moment both exist,
        # and the first one sent blocks the other
        twin = Certificate(person_id=draft.person_id, mailbox_id=draft.mailbox_id,
                           profile=draft.profile, addresses=draft.addresses,
                           key_algorithm=draft.key_algorithm, csr_pem=draft.csr_pem,
                           spki_sha256="0" * 64)
        create(s, twin, erika)
        s.commit()
        second = twin.id
        fire(s, s.get(Certificate, first), "submit", erika)
        s.commit()
        with pytest.raises(WorkflowError) as info:
            fire(s, s.get(Certificate, second), "submit", erika)
        assert info.value.code == "condition"


def test_approval_profile_and_four_eyes(seeded, request_of, monkeypatch):
    import dataclasses
    profile = seeded.profiles["personal"]
    monkeypatch.setitem(seeded.profiles, "personal",
                        dataclasses.replace(profile, approval_required=True))
    cert_id = request_of("admin")  # an RA admin requesting for themselves
    with seeded.session() as s:
        cert = s.get(Certificate, cert_id)
        admin = actor_for(person(s, "admin"), s)
        fire(s, cert, "submit", admin)
        s.commit()
        assert cert.status == "pending_approval"
        with pytest.raises(WorkflowError) as info:
            fire(s, cert, "approve", admin)
        assert info.value.code == "condition"
        s.rollback()
        other = Actor(username="admin2", person_id=-1, roles={"ra_admin": frozenset()})
        fire(s, s.get(Certificate, cert_id), "approve", other)
        s.commit()
        assert s.get(Certificate, cert_id).status == "sent"


def test_create_only_in_initial_or_entry_states(seeded):
    with seeded.session() as s:
        erika = person(s, "erika")
        with pytest.raises(WorkflowError) as info:
            create(s, Mailbox(owner_id=erika.id), SYSTEM, state="deactivated")
        assert info.value.code == "bad_entry"
