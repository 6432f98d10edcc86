"""The LDAP pull sync against a real slapd with the eduPerson schema (tests/schema/
eduperson.ldif): persons read from the directory go through the identity feed (source
"ldap"), changed entries by modifyTimestamp, removals by the full comparison, guarded by
the circuit breaker."""

from __future__ import annotations

import ldap3
import pytest
from click.testing import CliRunner
from slapd_server import ADMIN, PEOPLE, SECRET, Slapd, available, base_ldif, person_ldif
from sqlmodel import select
from support import missing

from ra_console.adapters.idm_ldap import LdapEntry
from ra_console.adapters.settings import removal_breaker
from ra_console.jobs.lifecycle import offboard_certificates
from ra_console.models import AuditEvent, Certificate, Mailbox, OutboxMessage, Person
from ra_console.usecases import ldap_sync
from ra_console.usecases.breaker import confirm_removals
from ra_console.workflow.actor import Actor

# (uid, given name, surname, mail, affiliations); modified on different days, so a
# changed-entries run after the full one reads only the newest of them again
PEOPLE_IN_LDAP = [
    ("erika", "Erika", "Mustermann", "erika.mustermann@uni.example.org", ("employee", "member")),
    ("max", "Max", "Muster", "max.muster@uni.example.org", ("student", "member")),
    ("gast", "Gabi", "Gast", "gabi.gast@uni.example.org", ("affiliate",)),
    ("jneu", "Jana", "Neu", "jana.neu@uni.example.org", ("faculty",)),
]
EXTRA = [(f"p{i}", "Pat", f"Person{i}", f"pat.person{i}@uni.example.org", ("staff",))
         for i in range(8)]


@pytest.fixture
def entries():
    """Override to change what the directory holds at the start."""
    return PEOPLE_IN_LDAP


@pytest.fixture
def slapd(tmp_path, entries):
    if not available():
        missing("slapd (Debian packages slapd, ldap-utils)")
    server = Slapd(tmp_path / "slapd")
    server.configure()
    ldif = base_ldif() + "".join(person_ldif(*person, stamp=f"202610{day + 1:02d}120000Z")
                                 for day, person in enumerate(entries))
    (tmp_path / "people.ldif").write_text(ldif)
    server.load(tmp_path / "people.ldif")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def config_overrides(slapd):
    return {"ldap_sync.enabled": True, "ldap_sync.url": slapd.url,
            "ldap_sync.bind_dn": ADMIN, "ldap_sync_bind_password": SECRET,
            "ldap_sync.base_dn": PEOPLE, "ldap_sync.username_attribute": "uid",
            "ldap_sync.page_size": 2,  # several pages even for a few entries
            "ldap_sync.affiliation_map": ["faculty=employee"],
            "ldap_sync.affiliation_scopes": ["uni.example.org"]}


def _person(runtime, username) -> Person:
    with runtime.session() as s:
        return s.exec(select(Person).where(Person.username == username)).one()


def _mailboxes(runtime, username) -> dict[str, str]:
    with runtime.session() as s:
        person = s.exec(select(Person).where(Person.username == username)).one()
        return {m.addresses[0].address: m.status for m in s.exec(
            select(Mailbox).where(Mailbox.owner_id == person.id, Mailbox.source == "idm"))}


def _events(runtime, trigger, entity_id=None) -> list[AuditEvent]:
    with runtime.session() as s:
        query = select(AuditEvent).where(AuditEvent.trigger == trigger)
        if entity_id:
            query = query.where(AuditEvent.entity_id == entity_id)
        return s.exec(query.order_by(AuditEvent.seq)).all()


def _modify(slapd, uid, **changes) -> None:
    with slapd.admin() as conn:
        conn.modify(f"uid={uid},{PEOPLE}", {
            name: [(ldap3.MODIFY_REPLACE, values)] if values else [(ldap3.MODIFY_DELETE, [])]
            for name, values in changes.items()})


def _delete(slapd, *uids) -> None:
    with slapd.admin() as conn:
        for uid in uids:
            conn.delete(f"uid={uid},{PEOPLE}")


def test_full_sync_creates_persons_and_idm_mailboxes(seeded, slapd):
    result = ldap_sync.run(seeded, full=True)
    assert (result.read, result.created, result.changed, result.unchanged) == (4, 1, 3, 0)
    jneu = _person(seeded, "jneu")
    assert (jneu.given_name, jneu.surname, jneu.affiliations) == ("Jana", "Neu", "employee")
    assert jneu.idm_source == "ldap" and jneu.idm_active and jneu.external_id  # entryUUID
    assert _mailboxes(seeded, "jneu") == {"jana.neu@uni.example.org": "verified"}
    assert _person(seeded, "erika").idm_source == "ldap"  # known from sign-ins, now managed
    [created] = _events(seeded, "idm_changed", jneu.public_id)
    assert (created.actor, created.data["source"], created.data["created"]) == (
        "ldap:127.0.0.1", "ldap", True)

    again = ldap_sync.run(seeded, full=True)  # idempotent: nothing changes, nothing audited
    assert (again.read, again.created, again.changed, again.unchanged) == (4, 0, 0, 4)
    assert len(_events(seeded, "idm_changed", jneu.public_id)) == 1


def _mark(runtime) -> str:
    with runtime.session() as s:
        return ldap_sync.last_run(s)["high_water"]


def test_changed_entry_is_picked_up_by_the_changed_entries_run(seeded, slapd):
    ldap_sync.run(seeded, full=True)
    # the newest modification seen, less a margin: an entry changed while the run read
    # the others is read again, not skipped
    assert "20261004115000Z" < _mark(seeded) < "20261004120000Z"
    _modify(slapd, "erika", sn=["Musterfrau"], displayName=["Erika Musterfrau"])
    result = ldap_sync.run(seeded, full=False)
    assert not result.full and result.changed == 1
    # only erika and the newest unchanged entry (read again: the mark keeps a margin)
    assert result.read == 2 and result.unchanged == 1
    erika = _person(seeded, "erika")
    assert erika.surname == "Musterfrau"
    assert _events(seeded, "idm_changed", erika.public_id)[-1].data["changed"]["surname"] == [
        "Mustermann", "Musterfrau"]
    assert _mark(seeded) > "20261004120000Z"  # erika's change, less the margin


def test_affiliation_loss_schedules_offboarding(app, seeded, slapd, issue_directly):
    ldap_sync.run(seeded, full=True)
    cert_id = issue_directly(username="erika")
    _modify(slapd, "erika", eduPersonAffiliation=["affiliate"],
            eduPersonScopedAffiliation=["affiliate@uni.example.org"])
    assert ldap_sync.run(seeded, full=False).changed == 1
    assert _person(seeded, "erika").affiliations == "affiliate"
    offboard_certificates(seeded)
    with seeded.session() as s:
        cert = s.get(Certificate, cert_id)
        assert cert.status == "issued" and cert.offboard_reason == "affiliationChanged"
        assert cert.offboard_at is not None


def test_a_deleted_entry_is_removed_by_the_full_comparison(seeded, slapd):
    ldap_sync.run(seeded, full=True)
    _delete(slapd, "jneu")
    assert ldap_sync.run(seeded, full=False).removed == 0  # a deletion leaves no timestamp
    assert _person(seeded, "jneu").idm_active
    result = ldap_sync.run(seeded, full=True)
    assert (result.removed, result.held) == (1, 0)
    jneu = _person(seeded, "jneu")
    assert jneu.idm_active is False and jneu.idm_removed_at is not None
    assert _mailboxes(seeded, "jneu") == {"jana.neu@uni.example.org": "deactivated"}
    assert _person(seeded, "nk-itc").idm_active  # never in the directory: not its to remove

    seeded.config["ldap_sync.filter"] = "(&(objectClass=eduPerson)(!(uid=gast)))"
    assert ldap_sync.run(seeded, full=True).removed == 1  # gone from the filter: removed too
    assert _person(seeded, "gast").idm_active is False


def test_an_entry_without_a_required_attribute_is_refused(seeded, slapd):
    ldap_sync.run(seeded, full=True)
    _modify(slapd, "jneu", mail=[])  # an export mistake, not a lost address
    result = ldap_sync.run(seeded, full=False)
    assert result.refused == {"email": 1} and result.changed == 0
    jneu = _person(seeded, "jneu")
    assert jneu.idm_emails == "jana.neu@uni.example.org"
    assert _mailboxes(seeded, "jneu") == {"jana.neu@uni.example.org": "verified"}
    [event] = _events(seeded, "idm_refused")
    assert (event.data["refused"], event.data["examples"]) == ({"email": 1}, {"email": "jneu"})
    with seeded.session() as s:
        [alert] = s.exec(select(OutboxMessage).where(
            OutboxMessage.kind == "mail.admin_alert")).all()
    assert alert.payload["template"] == "ldap_entries_refused"
    assert alert.payload["context"]["missing"] == "email"
    full = ldap_sync.run(seeded, full=True)  # refused is seen, not gone
    assert full.removed == 0 and full.refused == {"email": 1}
    assert _person(seeded, "jneu").idm_active


@pytest.mark.parametrize("entries", [PEOPLE_IN_LDAP + EXTRA])
def test_the_breaker_holds_a_mass_deletion(seeded, slapd, entries):
    ldap_sync.run(seeded, full=True)
    _delete(slapd, *(uid for uid, *_ in EXTRA[:6]))  # 6 of 12: a broken export
    held = ldap_sync.run(seeded, full=True)
    assert (held.removed, held.held) == (0, 6)
    assert all(_person(seeded, f"p{i}").idm_active for i in range(6))
    with seeded.session() as s:
        assert removal_breaker(s).tripped
    [tripped] = _events(seeded, "breaker_tripped")
    data = {k: v for k, v in tripped.data.items() if k != "request_id"}
    assert data == {"what": "persons", "count": 6, "total": 12}
    assert ldap_sync.run(seeded, full=True).held == 6  # still waiting

    with seeded.session() as s:  # an RA admin confirms in the console
        assert confirm_removals(s, Actor("admin", roles={"ra_admin": frozenset()}),
                                seeded.now())
        s.commit()
    done = ldap_sync.run(seeded, full=True)
    assert (done.removed, done.held) == (6, 0)
    assert not any(_person(seeded, f"p{i}").idm_active for i in range(6))
    with seeded.session() as s:  # left for the offboarding run of the same wave
        assert removal_breaker(s).confirmed_up_to == 6


def test_the_command_reports_the_run(seeded, slapd, monkeypatch):
    env = {"RA_DATABASE_URL": seeded.config["database_url"],
           "RA_INSTANCE_PATH": seeded.config["instance_path"],
           "RA_PKI_LOCAL_CA_PATH": seeded.config["pki.local_ca_path"],
           "RA_LDAP_SYNC_ENABLED": "true", "RA_LDAP_SYNC_URL": slapd.url,
           "RA_LDAP_SYNC_BIND_DN": ADMIN, "RA_LDAP_SYNC_BIND_PASSWORD": SECRET,
           "RA_LDAP_SYNC_BASE_DN": PEOPLE, "RA_LDAP_SYNC_USERNAME_ATTRIBUTE": "uid"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    from ra_console.cli.main import main

    first = CliRunner().invoke(main, ["idm", "sync"], catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert first.output.strip() == ("full comparison: 4 entries read, 1 persons created, "
                                    "3 changed, 0 unchanged, 0 removed")
    [event] = _events(seeded, "idm_changed", _person(seeded, "jneu").public_id)
    assert event.actor.startswith("ldap:127.0.0.1 (cli:")  # who started it

    _modify(slapd, "jneu", mail=[])
    refused = CliRunner().invoke(main, ["idm", "sync"], catch_exceptions=False)
    assert refused.exit_code == 1
    assert refused.output.startswith("changed entries: ")
    assert "refused: 1 entries lack email (RA admins alerted)" in refused.output

    monkeypatch.setenv("RA_LDAP_SYNC_URL", "ldap://127.0.0.1:1")
    down = CliRunner().invoke(main, ["idm", "sync", "--full"], catch_exceptions=False)
    assert down.exit_code == 1 and "LDAP ldap://127.0.0.1:1" in down.output
    assert _person(seeded, "jneu").idm_active  # an unreachable directory removes no one


def test_the_mapping():
    config = {"ldap_sync.username_attribute": "eduPersonPrincipalName",
              "ldap_sync.given_name_attribute": "givenName",
              "ldap_sync.surname_attribute": "sn",
              "ldap_sync.display_name_attribute": "displayName",
              "ldap_sync.mail_attribute": "mail", "ldap_sync.external_id_attribute": "",
              "ldap_sync.affiliation_attributes": ["eduPersonAffiliation",
                                                   "eduPersonScopedAffiliation"],
              "ldap_sync.affiliation_scopes": ["uni.example.org"],
              "ldap_sync.affiliation_map": ["faculty=employee"]}
    change = ldap_sync.to_change(LdapEntry("uid=x", {
        "edupersonprincipalname": ["x@uni.example.org"], "displayname": ["Ada Maria Lovelace"],
        "edupersonaffiliation": ["Faculty"],
        "edupersonscopedaffiliation": ["student@other.example", "member@uni.example.org"]}),
        config)
    assert (change.username, change.given_name, change.surname) == (
        "x@uni.example.org", "Ada Maria", "Lovelace")
    assert change.affiliations == ("employee", "member") and change.emails == ()
    assert change.external_id is None and change.active is True


def test_the_sweep_runs_on_the_leader_only_when_on(app, seeded, slapd):
    from ra_console.jobs.scheduler import SHARED_SWEEPS
    from ra_console.jobs.sweeps import run_sweep

    assert "sync_ldap_persons" not in SHARED_SWEEPS
    with app.app_context():
        assert run_sweep(seeded, "sync_ldap_persons") == 4  # the first run is a full one
        assert run_sweep(seeded, "sync_ldap_persons") == 0
        seeded.config["ldap_sync.enabled"] = False
        _modify(slapd, "jneu", sn=["Alt"])
        assert run_sweep(seeded, "sync_ldap_persons") == 0
    assert _person(seeded, "jneu").surname == "Neu"
