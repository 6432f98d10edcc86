"""The SCIM 2.0 server at /scim/v2/ through HTTP: tokens, the Users operations, and what
deprovisioning does to a person's certificates (offboarding within the grace period)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select
from support import institute_address

from ra_console.jobs.lifecycle import offboard_certificates
from ra_console.models import AuditEvent, Certificate, Mailbox, Person, ScimClient
from ra_console.usecases.scim_clients import create_client, rotate_token
from ra_console.workflow.actor import Actor

SCIM = "application/scim+json"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
RA = "urn:ietf:params:scim:schemas:extension:ra-console:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ADMIN = Actor("admin", roles={"ra_admin": frozenset()})


@pytest.fixture
def token(seeded) -> str:
    with seeded.session() as s:
        token = create_client(s, "campus-idm", ADMIN, seeded.now())
        s.commit()
    return token


@pytest.fixture
def scim(app, token):
    client = app.test_client()

    def call(method, path, body=None, token=token, lang="en"):
        headers = {"Accept-Language": lang}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return client.open(f"/scim/v2{path}", method=method, json=body, headers=headers)
    return call


def _user(username, *emails, affiliations=("employee",), active=True, external_id=None):
    user = {"schemas": [USER, RA], "userName": username, "active": active,
            "name": {"givenName": "Jana", "familyName": "Neu"},
            "emails": [{"value": e} for e in emails], RA: {"affiliations": [{"value": a} for a in affiliations]}}
    if external_id:
        user["externalId"] = external_id
    return user


def _find(scim, username) -> dict:
    found = scim("GET", f'/Users?filter=userName eq "{username}"').get_json()
    assert found["totalResults"] == 1, found
    return found["Resources"][0]


def _deactivate(scim, username):
    user = _find(scim, username)
    return scim("PATCH", f"/Users/{user['id']}", {
        "schemas": [PATCH], "Operations": [{"op": "replace", "path": "active",
                                            "value": False}]})


def test_only_a_scim_token_opens_scim(app, browser, scim, token, seeded):
    assert scim("GET", "/ServiceProviderConfig", token=None).status_code == 200  # RFC 7643 §5
    for bad in (None, "rascim_not-a-token", token + "x"):
        response = scim("GET", "/Users", token=bad)
        assert response.status_code == 401 and response.mimetype == SCIM
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    browser.login("admin")  # a console session is no SCIM credential
    assert browser.client.get("/scim/v2/Users").status_code == 401
    assert browser.client.post("/scim/v2/Users", json=_user("x")).status_code == 401
    assert scim("GET", "/Users").status_code == 200
    with seeded.session() as s:
        client = s.exec(select(ScimClient)).one()
        assert client.token_hash != token and token not in client.token_hash  # hashed
        new = rotate_token(s, client, ADMIN, seeded.now())
        s.commit()
    assert scim("GET", "/Users").status_code == 401  # the old token died with the rotation
    assert scim("GET", "/Users", token=new).status_code == 200


def test_users_lifecycle_through_the_feed(scim, seeded):
    created = scim("POST", "/Users", _user("jneu", "Jana.Neu@uni.example.org",
                                           "jana@private.example", external_id="idm-4711"))
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["emails"] == [{"value": "Jana.Neu@uni.example.org"},
                              {"value": "jana@private.example"}]
    assert body[RA] == {"affiliations": [{"value": "employee"}]} and body["meta"]["version"] == 'W/"1"'
    assert scim("POST", "/Users", _user("jneu")).status_code == 409  # userName is unique
    assert _find(scim, "jneu")["id"] == body["id"]
    none = scim("GET", '/Users?filter=userName eq "JNEU"').get_json()
    assert none["totalResults"] == 0  # case-exact, as sign-ins match user names
    by_external = scim("GET", '/Users?filter=externalId eq "idm-4711"').get_json()
    assert [u["userName"] for u in by_external["Resources"]] == ["jneu"]
    page = scim("GET", "/Users?startIndex=2&count=3").get_json()
    assert page["startIndex"] == 2 and len(page["Resources"]) == 3
    assert page["totalResults"] == 9  # the 8 demo people and jneu
    with seeded.session() as s:
        person = s.exec(select(Person).where(Person.username == "jneu")).one()
        [mailbox] = s.exec(select(Mailbox).where(Mailbox.owner_id == person.id)).all()
        assert mailbox.status == "verified"  # only the address in the IdM domain

    assert _deactivate(scim, "jneu").status_code == 204
    assert _deactivate(scim, "jneu").status_code == 204  # idempotent: nothing more happens
    assert scim("GET", f"/Users/{body['id']}").get_json()["meta"]["version"] == 'W/"2"'
    with seeded.session() as s:
        assert s.get(Mailbox, mailbox.id).status == "deactivated"
        events = s.exec(select(AuditEvent).where(AuditEvent.trigger == "idm_changed",
                                                 AuditEvent.entity_id == person.public_id)
                        .order_by(AuditEvent.seq)).all()
    assert [(e.actor, e.data["source"], sorted(e.data["changed"])) for e in events][-1] == (
        "scim:campus-idm", "scim", ["idm_active"])
    assert len(events) == 2  # created, deactivated; the repeated PATCH changed nothing

    assert scim("DELETE", f"/Users/{body['id']}").status_code == 204
    assert scim("GET", f"/Users/{body['id']}").status_code == 404
    with seeded.session() as s:  # kept for its certificates and the audit trail
        assert s.exec(select(Person).where(Person.username == "jneu")).one().idm_removed_at


def test_deprovisioned_person_loses_certificates_within_the_grace(scim, seeded,
                                                                    issue_directly, clock):
    cert_id = issue_directly(username="erika")
    assert _deactivate(scim, "erika").status_code == 204
    grace = timedelta(days=seeded.config["lifecycle.offboarding_grace_days"])
    assert grace <= timedelta(days=5)  # S/MIME BR 4.9.1.1
    started = seeded.now()
    assert offboard_certificates(seeded) == 0
    with seeded.session() as s:
        cert = s.get(Certificate, cert_id)
        assert cert.status == "issued" and cert.offboard_at is not None
        assert cert.offboard_at.replace(tzinfo=started.tzinfo) == started + grace
    clock.now = started + grace
    assert offboard_certificates(seeded) == 1
    with seeded.session() as s:
        assert s.get(Certificate, cert_id).status == "revoked"


def test_an_inactive_person_loses_institute_addresses_too(scim, seeded, issue_directly):
    """The IdM keeps the affiliation but says inactive: the certificate of an institute
    address (which the IdM does not deactivate) is scheduled all the same."""
    institute_address(seeded, "erika", "e.mustermann@itc.uni.example.org")
    cert_id = issue_directly(username="erika", address="e.mustermann@itc.uni.example.org")
    assert _deactivate(scim, "erika").status_code == 204
    offboard_certificates(seeded)
    with seeded.session() as s:
        cert = s.get(Certificate, cert_id)
        assert s.get(Mailbox, cert.mailbox_id).status == "verified"
        assert (cert.offboard_reason, cert.status) == ("affiliationChanged", "issued")


def test_reactivation_within_the_grace_keeps_the_certificate(scim, seeded, issue_directly):
    cert_id = issue_directly(username="erika")
    erika = _find(scim, "erika")
    assert _deactivate(scim, "erika").status_code == 204
    offboard_certificates(seeded)
    assert scim("PATCH", f"/Users/{erika['id']}", {
        "schemas": [PATCH], "Operations": [{"op": "replace", "path": "active",
                                            "value": True}]}).status_code == 204
    offboard_certificates(seeded)
    with seeded.session() as s:
        cert = s.get(Certificate, cert_id)
        assert cert.status == "issued" and cert.offboard_at is None


def test_the_breaker_holds_scim_removals(scim, seeded, issue_directly):
    from ra_console.usecases.breaker import removals_allowed

    with seeded.session() as s:  # an earlier run tripped it
        assert not removals_allowed(s, seeded.config, {"persons": (9, 10)}, seeded.now())
        s.commit()
    assert _deactivate(scim, "max").status_code == 204
    with seeded.session() as s:
        person = s.exec(select(Person).where(Person.username == "max")).one()
        statuses = {m.status for m in s.exec(select(Mailbox).where(
            Mailbox.owner_id == person.id))}
    assert not person.idm_active and statuses == {"verified"}  # waits for an RA admin


@pytest.mark.parametrize("lang, text", [
    ("en", "The RA needs these attributes of every active person: affiliations."),
    ("de", "Die RA braucht diese Attribute jeder aktiven Person: affiliations.")])
def test_missing_required_attributes_are_refused(scim, seeded, lang, text, config_overrides):
    response = scim("POST", "/Users", _user("kein", "kein@uni.example.org", affiliations=()),
                    lang=lang)
    assert response.status_code == 400
    assert response.get_json()["scimType"] == "invalidValue"
    assert response.get_json()["detail"] == text
    with seeded.session() as s:
        assert s.exec(select(Person).where(Person.username == "kein")).first() is None


@pytest.fixture
def config_overrides():
    return {"auth.required_attributes": ["email", "affiliation"]}


def test_bad_input_gets_a_scim_error_not_a_500(scim):
    for method, path, body in [("POST", "/Users", {"schemas": [USER]}),
                               ("GET", '/Users?filter=userName eq', None),
                               ("GET", "/Users/does-not-exist", None),
                               ("PATCH", "/Users/x", {"Operations": "no"}),
                               ("GET", "/Nothing", None)]:
        response = scim(method, path, body)
        assert 400 <= response.status_code < 500, (method, path, response.get_json())
        assert response.mimetype == SCIM and response.get_json()["status"]


def _token_on(page) -> str:
    match = re.search(r"<code>(rascim_[\w-]+)</code>", page.get_data(as_text=True))
    assert match, page.get_data(as_text=True)[:2000]
    return match.group(1)


def test_ra_admins_make_and_rotate_tokens_in_the_console(app, browser, seeded):
    page = "/console/scim-clients/"
    browser.login("admin")
    made = browser.submit(page, {"name": "campus-idm"}, action=page + "new")
    first = _token_on(made)
    assert first not in browser.get(page).get_data(as_text=True)  # shown once
    client = app.test_client()
    auth = {"Authorization": f"Bearer {first}"}
    assert client.get("/scim/v2/Users", headers=auth).status_code == 200
    with seeded.session() as s:
        row = s.exec(select(ScimClient)).one()
    second = _token_on(browser.submit(page, action=f"{page}{row.id}/rotate"))
    assert client.get("/scim/v2/Users", headers=auth).status_code == 401
    assert client.get("/scim/v2/Users", headers={
        "Authorization": f"Bearer {second}"}).status_code == 200
    refused = browser.submit(page, {"name": "campus-idm"}, action=page + "new",
                             follow_redirects=True)
    assert "A SCIM client named &#39;campus-idm&#39; exists already." in refused.get_data(
        as_text=True)
    browser.submit(page, action=f"{page}{row.id}/delete")
    assert client.get("/scim/v2/Users", headers={
        "Authorization": f"Bearer {second}"}).status_code == 401
    with seeded.session() as s:
        triggers = [e.trigger for e in s.exec(select(AuditEvent).where(
            AuditEvent.entity_type == "scim_client").order_by(AuditEvent.seq))]
    assert triggers == ["scim_client_created", "scim_token_rotated", "scim_client_deleted"]


def test_auditors_see_scim_clients_and_network_contacts_do_not(browser, token):
    browser.login("auditor")
    listed = browser.get("/console/scim-clients/").get_data(as_text=True)
    assert "campus-idm" in listed and "New token" not in listed and "rascim_" not in listed
    browser.login("nk-itc")
    assert browser.get("/console/scim-clients/").status_code == 403
