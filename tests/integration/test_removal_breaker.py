"""The circuit breaker: an offboarding run that would revoke too many at once waits for an
RA admin's confirmation (audited), and sign-ins stop deactivating addresses meanwhile."""

from __future__ import annotations

from sqlmodel import select

from ra_console.adapters.settings import removal_breaker
from ra_console.jobs.lifecycle import offboard_certificates
from ra_console.models import AuditEvent, Certificate, Mailbox, OutboxMessage, Person
from ra_console.usecases.demo_people import DEMO_PEOPLE
from ra_console.usecases.signin import upsert_person

HOLDERS = ["erika", "max", "nk-itc", "nk-phys", "idv", "auditor"]


def _lose_status(runtime, usernames) -> None:
    """What the sign-in sync does when the IdP no longer releases the affiliation."""
    with runtime.session() as s:
        for name in usernames:
            identity = DEMO_PEOPLE[name][0]
            upsert_person(s, type(identity)(identity.username, identity.given_name,
                                            identity.surname, identity.emails, ("affiliate",)),
                          idm_domains=runtime.config["organization.idm_domains"],
                          now=runtime.now())
        s.commit()


def _scheduled(runtime) -> int:
    with runtime.session() as s:
        return len(s.exec(select(Certificate).where(Certificate.offboard_at.is_not(None))).all())


def _triggers(runtime, trigger) -> list[AuditEvent]:
    with runtime.session() as s:
        return s.exec(select(AuditEvent).where(AuditEvent.trigger == trigger)).all()


def test_too_many_removals_wait_for_an_ra_admin(issue_directly, seeded, browser):
    for name in HOLDERS:
        issue_directly(username=name)
    _lose_status(seeded, HOLDERS[:5])  # 5 of 6 holders at once: an IdP mistake
    assert offboard_certificates(seeded) == 0
    assert _scheduled(seeded) == 0
    with seeded.session() as s:
        state = removal_breaker(s)
        alerts = s.exec(select(OutboxMessage).where(
            OutboxMessage.kind == "mail.admin_alert")).all()
    assert (state.tripped, state.what, state.count, state.total) == (True, "persons", 5, 6)
    assert [a.payload["template"] for a in alerts] == ["removals_paused"]
    assert [e.data["count"] for e in _triggers(seeded, "breaker_tripped")] == [5]
    assert offboard_certificates(seeded) == 0 and _scheduled(seeded) == 0  # still paused

    browser.login("auditor")  # reads the console, may not confirm
    assert browser.submit("/console/settings/", action="/console/settings/removals"
                          ).status_code == 403
    browser.login("admin")
    page = browser.get("/console/settings/").get_data(as_text=True)
    assert "Offboarding is paused" in page and "5 of 6 persons" in page
    assert browser.submit("/console/settings/", action="/console/settings/removals"
                          ).status_code == 302
    [confirmed] = _triggers(seeded, "breaker_confirmed")
    assert (confirmed.actor, confirmed.data["count"]) == ("admin", 5)
    assert offboard_certificates(seeded) == 0
    assert _scheduled(seeded) == 5  # the confirmed run goes ahead, with the grace period
    with seeded.session() as s:
        assert removal_breaker(s).confirmed_up_to == 0  # the confirmation is used up


def test_a_confirmation_covers_the_next_run_only(issue_directly, seeded):
    from ra_console.usecases.breaker import confirm_removals
    from ra_console.workflow.actor import Actor

    for name in HOLDERS:
        issue_directly(username=name)
    _lose_status(seeded, HOLDERS[:5])
    offboard_certificates(seeded)  # trips
    with seeded.session() as s:
        assert confirm_removals(s, Actor("admin", roles={"ra_admin": frozenset()}),
                                seeded.now())
        s.commit()
    with seeded.session() as s:  # meanwhile the IdP was fixed: everyone entitled again
        for name in HOLDERS[:5]:
            identity = DEMO_PEOPLE[name][0]
            upsert_person(s, identity, idm_domains=seeded.config["organization.idm_domains"],
                          now=seeded.now())
        s.commit()
    _lose_status(seeded, HOLDERS[:1])  # one real leaver: a run with work
    offboard_certificates(seeded)
    with seeded.session() as s:
        assert removal_breaker(s).confirmed_up_to == 0  # not saved up for a later wave
    _lose_status(seeded, HOLDERS[1:])  # the next wave (5 more) trips again
    offboard_certificates(seeded)
    with seeded.session() as s:
        assert removal_breaker(s).tripped


def test_a_few_removals_need_no_confirmation(issue_directly, seeded):
    for name in HOLDERS:
        issue_directly(username=name)
    _lose_status(seeded, HOLDERS[:1])
    offboard_certificates(seeded)
    assert _scheduled(seeded) == 1 and _triggers(seeded, "breaker_tripped") == []


def test_sign_ins_do_not_deactivate_addresses_while_paused(issue_directly, seeded):
    for name in HOLDERS:
        issue_directly(username=name)
    _lose_status(seeded, HOLDERS[:5])
    offboard_certificates(seeded)  # trips
    with seeded.session() as s:
        erika = DEMO_PEOPLE["erika"][0]
        upsert_person(s, type(erika)("erika", "Erika", "Mustermann",
                                     ("erika.neu@uni.example.org",), ("employee",)),
                      idm_domains=seeded.config["organization.idm_domains"], now=seeded.now())
        s.commit()
        person = s.exec(select(Person).where(Person.username == "erika")).one()
        statuses = {m.status for m in s.exec(select(Mailbox).where(
            Mailbox.owner_id == person.id))}
    assert statuses == {"verified"}  # the old address stays until an RA admin confirms
