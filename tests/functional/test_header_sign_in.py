"""Header sign-in: identity from trusted proxies only, IdM mailboxes synced on each sign-in."""

from __future__ import annotations

import pytest
from sqlmodel import select

from ra_console.app import create_app
from ra_console.models import AuditEvent, Mailbox, MailboxAddress, OutboxMessage, Person

HEADERS = {
    "X-Remote-User": "jdoe@uni.example.org", "X-Remote-Given-Name": "Jane",
    "X-Remote-Surname": "Doe",
    "X-Remote-Email": "Jane.Doe@uni.example.org;jane@private.example.com",
    "X-Remote-Affiliation": "employee@uni.example.org;member@uni.example.org",
}


@pytest.fixture
def config_overrides():
    return {"auth.mode": "header", "demo": False, "auth.trusted_proxies": ["127.0.0.1"]}


@pytest.fixture
def header_client(runtime):
    app = create_app(runtime=runtime)
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_trusted_proxy_signs_in_and_creates_idm_mailbox(header_client, runtime):
    response = header_client.get("/certificates", headers=HEADERS,
                                 environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert response.status_code == 200
    assert "Jane Doe" in response.get_data(as_text=True)
    with runtime.session() as s:
        person = s.exec(select(Person).where(Person.username == "jdoe@uni.example.org")).one()
        assert person.affiliations == "employee member"
        rows = s.exec(select(Mailbox, MailboxAddress).join(
            MailboxAddress, MailboxAddress.mailbox_id == Mailbox.id)).all()
        # only the IdM-domain address becomes a verified mailbox, lower-cased, display kept
        assert [(m.status, a.address, a.display, a.method) for m, a in rows] == [
            ("verified", "jane.doe@uni.example.org", "Jane.Doe@uni.example.org", "idm")]
        assert s.exec(select(AuditEvent).where(AuditEvent.trigger == "login")).one()


@pytest.mark.parametrize("username", ["<script>alert(1)</script>" + "x" * 5000, "jdoe doe",
                                      "x" * 129])
def test_a_user_name_no_idm_issues_signs_nobody_in(header_client, runtime, username):
    response = header_client.get("/certificates", headers={**HEADERS, "X-Remote-User": username},
                                 environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    with runtime.session() as s:
        assert s.exec(select(Person).where(Person.username.like("%x%"))).all() == []


def test_headers_from_untrusted_address_are_ignored(header_client, runtime):
    response = header_client.get("/certificates", headers=HEADERS,
                                 environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    with runtime.session() as s:
        assert s.exec(select(Person)).all() == []


def test_dev_login_is_refused_in_header_mode(header_client):
    assert header_client.post("/login/dev", data={"username": "erika"}).status_code in (400, 404)


def test_idm_address_removed_deactivates_and_returns(header_client, runtime):
    env = {"REMOTE_ADDR": "127.0.0.1"}
    header_client.get("/certificates", headers=HEADERS, environ_base=env)
    header_client.post("/logout", headers=HEADERS, environ_base=env)  # CSRF refuses; fine
    header_client.delete_cookie("session")
    changed = {**HEADERS, "X-Remote-Email": "jane@private.example.com"}
    header_client.get("/certificates", headers=changed, environ_base=env)
    with runtime.session() as s:
        assert s.exec(select(Mailbox)).one().status == "deactivated"
    header_client.delete_cookie("session")
    header_client.get("/certificates", headers=HEADERS, environ_base=env)
    with runtime.session() as s:
        assert s.exec(select(Mailbox)).one().status == "verified"


def test_public_files_never_sign_in(header_client, runtime):
    response = header_client.get("/pki/ra-issuing.crl", headers=HEADERS,
                                 environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert response.status_code == 200
    with runtime.session() as s:
        assert s.exec(select(Person)).all() == []


def test_forwarded_for_is_recorded_but_trust_uses_the_peer(runtime):
    from ra_console.app import create_app

    runtime.config["auth.proxy_hops"] = 1
    client = create_app(runtime=runtime).test_client()
    forged = {**HEADERS, "X-Forwarded-For": "127.0.0.1"}
    client.get("/certificates", headers=forged, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    with runtime.session() as s:
        assert s.exec(select(Person)).all() == []  # claiming to be the proxy does not help
    real = {**HEADERS, "X-Forwarded-For": "198.51.100.23"}
    assert client.get("/certificates", headers=real,
                      environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 200
    with runtime.session() as s:
        login = s.exec(select(AuditEvent).where(AuditEvent.trigger == "login")).one()
        assert login.ip == "198.51.100.23"


def test_logout_goes_to_the_sso_logout(runtime):
    from ra_console.app import create_app

    runtime.config["auth.logout_url"] = "/Shibboleth.sso/Logout"
    client = create_app(runtime=runtime).test_client()
    env = {"REMOTE_ADDR": "127.0.0.1"}
    page = client.get("/certificates", headers=HEADERS, environ_base=env).get_data(as_text=True)
    import re
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/logout", data={"csrf_token": token}, environ_base=env)
    assert response.status_code == 302
    assert response.headers["Location"] == "/Shibboleth.sso/Logout"


def test_roles_mapped_from_entitlements_come_and_go(runtime):
    from ra_console.app import create_app
    from ra_console.models import Institute, RoleAssignment
    from ra_console.usecases.demo import seed_demo

    with runtime.session() as s:
        seed_demo(s, idm_domains=runtime.config["organization.idm_domains"], now=runtime.now())
        s.commit()
    runtime.config["auth.role_map"] = ["urn:ra:admin=ra_admin", "urn:nk:itc=network_contact:ITC"]
    client = create_app(runtime=runtime).test_client()
    env = {"REMOTE_ADDR": "127.0.0.1"}
    with_groups = {**HEADERS, "X-Remote-Entitlement": "urn:nk:itc;urn:other"}
    assert client.get("/console/mailboxes/", headers=with_groups,
                      environ_base=env).status_code == 200
    with runtime.session() as s:
        itc = s.exec(select(Institute).where(Institute.code == "ITC")).one()
        roles = s.exec(select(RoleAssignment).join(Person).where(
            Person.username == "jdoe@uni.example.org")).all()
        assert [(r.role, r.institute_id, r.source) for r in roles] == [
            ("network_contact", itc.id, "sso")]
    client.delete_cookie("session")
    assert client.get("/console/mailboxes/", headers=HEADERS,
                      environ_base=env).status_code == 403
    with runtime.session() as s:
        assert s.exec(select(RoleAssignment).join(Person).where(
            Person.username == "jdoe@uni.example.org")).all() == []
        events = [e.trigger for e in s.exec(select(AuditEvent).where(
            AuditEvent.entity_type == "role", AuditEvent.actor == "sso"))]
        assert events == ["role_granted", "role_revoked"]


@pytest.mark.parametrize("sent, signed_in", [
    (None, False), ("wrong-secret", False), ("the-proxy-secret", True)])
def test_with_a_proxy_secret_only_requests_carrying_it_sign_in(runtime, sent, signed_in):
    runtime.config["auth.proxy_secret"] = "the-proxy-secret"
    client = create_app(runtime=runtime).test_client()
    headers = HEADERS if sent is None else {**HEADERS, "X-RA-Proxy-Secret": sent}
    response = client.get("/certificates", headers=headers,
                          environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert (response.status_code == 200) is signed_in
    with runtime.session() as s:
        assert len(s.exec(select(Person)).all()) == (1 if signed_in else 0)


def _refused_sign_in(runtime, headers, lang="en"):
    client = create_app(runtime=runtime).test_client()
    return client.get("/certificates", headers={**headers, "Accept-Language": lang},
                      environ_base={"REMOTE_ADDR": "127.0.0.1"})


@pytest.mark.parametrize("dropped, label", [
    ("X-Remote-Email", "e-mail address"), ("X-Remote-Surname", "surname"),
    ("X-Remote-Given-Name", "given name")])
def test_sign_in_lacking_an_attribute_is_refused_and_changes_nothing(
        header_client, runtime, dropped, label):
    env = {"REMOTE_ADDR": "127.0.0.1"}
    assert header_client.get("/certificates", headers=HEADERS, environ_base=env
                             ).status_code == 200
    lacking = {k: v for k, v in HEADERS.items() if k != dropped}
    for _attempt in range(2):
        response = _refused_sign_in(runtime, lacking)
        page = response.get_data(as_text=True)
        assert response.status_code == 403 and "Sign-in refused" in page and label in page
    with runtime.session() as s:
        person = s.exec(select(Person)).one()
        assert (person.given_name, person.surname) == ("Jane", "Doe")
        assert s.exec(select(Mailbox)).one().status == "verified"  # not "lost"
        failed = s.exec(select(AuditEvent).where(AuditEvent.trigger == "login_failed")).all()
        assert [e.data["reason"] for e in failed] == ["missing_attributes"] * 2
        alerts = s.exec(select(OutboxMessage).where(
            OutboxMessage.kind == "mail.admin_alert")).all()
        assert len(alerts) == 1  # one alert per hour, however many are refused


def test_refused_sign_in_page_is_german_too(runtime):
    lacking = {k: v for k, v in HEADERS.items() if k != "X-Remote-Email"}
    page = _refused_sign_in(runtime, lacking, lang="de").get_data(as_text=True)
    assert "Anmeldung abgewiesen" in page and "E-Mail-Adresse" in page


@pytest.fixture
def alert_config(mail_sink):
    return {"auth.mode": "header", "demo": False, "auth.trusted_proxies": ["127.0.0.1"],
            "mail.catcher": False, "mail.server": "127.0.0.1", "mail.port": mail_sink.port,
            "alerts.recipients": ["ra-admins@uni.example.org"]}


def test_refused_sign_in_alerts_the_ra_admins_by_mail(runtime, smtp, alert_config):
    from ra_console.jobs.sweeps import run_once

    runtime.config.update(alert_config)
    app = create_app(runtime=runtime)
    lacking = {k: v for k, v in HEADERS.items() if k != "X-Remote-Email"}
    app.test_client().get("/certificates", headers=lacking,
                          environ_base={"REMOTE_ADDR": "127.0.0.1"})
    with app.app_context():
        run_once(runtime)
    [(recipients, content)] = smtp.messages
    assert recipients == ["ra-admins@uni.example.org"]
    assert b"jdoe@uni.example.org" in content and b"email" in content
