"""The one identity feed (usecases/identity_feed.py): every source changes a person the
same way, idempotently, audited with its source; it refuses what lacks required
attributes and never lets a silent source deactivate addresses."""

from __future__ import annotations

import pytest
from sqlmodel import select

from ra_console.models import AuditEvent, Mailbox, Person
from ra_console.queries.requests import has_status
from ra_console.usecases.identity_feed import IdentityChange, IdentityRefused, apply_change
from ra_console.usecases.signin import SignInIdentity, sign_in

DOMAINS = ["uni.example.org"]
JANA = IdentityChange("jana", "Jana", "Neu", ("jana.neu@uni.example.org",), ("student",),
                      active=True, external_id="idm-1")


def _apply(runtime, change, source="ldap", **kwargs) -> Person:
    with runtime.session() as s:
        person = apply_change(s, change, source=source, actor=f"{source}-sync",
                              idm_domains=DOMAINS, now=runtime.now(), **kwargs)
        s.commit()
        s.refresh(person)
        return person


def _changes(runtime, person) -> list[AuditEvent]:
    with runtime.session() as s:
        return s.exec(select(AuditEvent).where(
            AuditEvent.trigger == "idm_changed", AuditEvent.entity_id == person.public_id)
            .order_by(AuditEvent.seq)).all()


def _statuses(runtime, person) -> set[str]:
    with runtime.session() as s:
        return {m.status for m in s.exec(select(Mailbox).where(Mailbox.owner_id == person.id))}


def test_a_change_is_applied_once_and_audited_with_its_source(runtime):
    person = _apply(runtime, JANA)
    _apply(runtime, JANA)  # the same again: nothing to write
    [created] = _changes(runtime, person)
    assert (created.actor, created.data["source"], created.data["created"]) == (
        "ldap-sync", "ldap", True)
    assert _statuses(runtime, person) == {"verified"} and has_status(person, runtime)
    renamed = _apply(runtime, IdentityChange("jana", surname="Neu-Alt"), source="console")
    assert renamed.idm_version == 2
    last = _changes(runtime, person)[-1]
    assert last.data == {"source": "console", "created": False,
                         "changed": {"surname": ["Neu", "Neu-Alt"]}}
    assert _statuses(runtime, person) == {"verified"}  # a source silent on addresses


def test_inactive_in_the_idm_means_no_status_and_no_idm_addresses(runtime):
    person = _apply(runtime, JANA)
    left = _apply(runtime, IdentityChange("jana", active=False))
    assert not has_status(left, runtime) and _statuses(runtime, person) == {"deactivated"}
    with runtime.session() as s:  # a sign-in does not bring back someone the IdM removed
        again = sign_in(s, SignInIdentity("jana", "Jana", "Neu", ("jana.neu@uni.example.org",),
                                          ("student",)), idm_domains=DOMAINS, ip=None,
                        now=runtime.now())
        s.commit()
        assert again.idm_active is False and not has_status(again, runtime)
    back = _apply(runtime, IdentityChange("jana", active=True))
    assert has_status(back, runtime) and _statuses(runtime, person) == {"verified"}


def test_sign_ins_go_through_the_feed(runtime):
    identity = SignInIdentity("jana", "Jana", "Neu", ("jana.neu@uni.example.org",),
                              ("student", "member"))
    for _ in range(2):
        with runtime.session() as s:
            person = sign_in(s, identity, idm_domains=DOMAINS, ip=None, now=runtime.now())
            s.commit()
    [created] = _changes(runtime, person)
    assert created.data["source"] == "signin" and person.affiliations == "member student"


@pytest.mark.parametrize("change, missing", [
    (IdentityChange("x", "X", "Y", (), ("student",)), ["email"]),
    (IdentityChange("x", "", "Y", ("x@uni.example.org",), ("student",)), ["given_name"]),
])
def test_missing_required_attributes_change_nothing(runtime, change, missing):
    with pytest.raises(IdentityRefused) as refused:
        _apply(runtime, change, required=["email", "given_name", "surname"])
    assert refused.value.missing == missing
    with runtime.session() as s:
        assert s.exec(select(Person).where(Person.username == "x")).first() is None


def test_a_deactivation_needs_no_attributes(runtime):
    person = _apply(runtime, JANA)
    left = _apply(runtime, IdentityChange("jana", active=False),
                  required=["email", "given_name", "surname", "affiliation"])
    assert left.idm_active is False and _statuses(runtime, person) == {"deactivated"}
