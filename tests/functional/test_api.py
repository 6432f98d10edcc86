"""The REST API (/api/v1/) with tokens: network contacts in their institutes, applicants of
functional mailboxes, RA admins, auditors; problem details in the reader's language."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from sqlmodel import select
from support import api_token, institute_address

from ra_console.adapters.challenges import token_for
from ra_console.models import (
    ApiToken,
    AuditEvent,
    Certificate,
    Challenge,
    Mailbox,
    MailboxAddress,
    Person,
    RoleAssignment,
)
from ra_console.usecases.addresses import redeem
from ra_console.web.current import actor_for

ITC = "itc.uni.example.org"


def call(client, method, url, token=None, lang="en", **kwargs):
    headers = {"Accept-Language": lang}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.open(url, method=method, headers=headers, **kwargs)


def confirm_row(runtime, public_id: str, username: str) -> None:
    """Follow every challenge link of the row, as its applicant does in the mail."""
    with runtime.session() as s:
        nonces = s.exec(select(Challenge.nonce).join(
            MailboxAddress, Challenge.address_id == MailboxAddress.id).join(
            Mailbox, Mailbox.id == MailboxAddress.mailbox_id).where(
            Mailbox.public_id == public_id)).all()
        person = s.exec(select(Person).where(Person.username == username)).one()
        for nonce in nonces:
            redeem(s, actor_for(person, s), token_for(runtime.config["secret_key"], nonce),
                   runtime.now())
        s.commit()


@pytest.fixture
def client(app):
    return app.test_client()


def test_network_contact_adds_lists_and_challenges_a_row(app, client):
    token = api_token(app.extensions["ra_runtime"], "nk-itc")
    created = call(client, "POST", "/api/v1/mailboxes", token, json={
        "institute": "ITC", "primary": f"Lab@{ITC}", "aliases": [f"lab-alias@{ITC}"],
        "username": "erika"})
    assert created.status_code == 201, created.get_json()
    row = created.get_json()
    assert row["status"] == "new" and row["institute"] == "ITC"
    assert [a["address"] for a in row["addresses"]] == [f"Lab@{ITC}", f"lab-alias@{ITC}"]
    listed = call(client, "GET", "/api/v1/mailboxes?q=lab", token).get_json()
    assert [r["id"] for r in listed["items"]] == [row["id"]]
    sent = call(client, "POST", f"/api/v1/mailboxes/{row['id']}/challenge", token)
    assert sent.get_json()["status"] == "pending_challenge"
    again = call(client, "POST", f"/api/v1/mailboxes/{row['id']}/challenge", token)
    assert again.status_code == 200 and again.get_json()["status"] == "pending_challenge"
    aliases = call(client, "PUT", f"/api/v1/mailboxes/{row['id']}/aliases", token,
                   json={"aliases": []})
    assert [a["address"] for a in aliases.get_json()["addresses"]] == [f"Lab@{ITC}"]
    gone = call(client, "POST", f"/api/v1/mailboxes/{row['id']}/deactivate", token)
    assert gone.get_json()["status"] == "deactivated"


def test_another_institutes_rows_are_not_found(app, client, issue_directly):
    runtime = app.extensions["ra_runtime"]
    institute_address(runtime, "erika", f"erika-lab@{ITC}")
    cert_id = issue_directly(address=f"erika-lab@{ITC}")
    with runtime.session() as s:
        cert = s.get(Certificate, cert_id).public_id
    itc_row = call(client, "GET", "/api/v1/mailboxes",
                   api_token(runtime, "nk-itc")).get_json()["items"][0]
    phys = api_token(runtime, "nk-phys")
    seen = call(client, "GET", "/api/v1/mailboxes", phys).get_json()["items"]
    assert [r["owner"] for r in seen] == ["nk-phys"]  # only Paul's own IdM address
    for method, url, code in [
            ("GET", f"/api/v1/mailboxes/{itc_row['id']}", "mailbox_unknown"),
            ("POST", f"/api/v1/mailboxes/{itc_row['id']}/deactivate", "mailbox_unknown"),
            ("GET", f"/api/v1/certificates/{cert}", "certificate_unknown"),
            ("POST", f"/api/v1/certificates/{cert}/revoke", "certificate_unknown")]:
        response = call(client, method, url, phys, json={"reason": "superseded"})
        assert response.status_code == 404, url
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["code"] == code
    assert call(client, "GET", "/api/v1/certificates", phys).get_json()["items"] == []
    with runtime.session() as s:
        assert s.get(Certificate, cert_id).status == "issued"
    refused = call(client, "POST", "/api/v1/mailboxes", phys, json={
        "institute": "ITC", "primary": f"x@{ITC}", "username": "erika"})
    assert refused.status_code == 422 and refused.get_json()["code"] == "institute_unknown"


def test_errors_are_problem_details_in_the_readers_language(app, client):
    runtime = app.extensions["ra_runtime"]
    assert call(client, "GET", "/api/v1/mailboxes").get_json()["code"] == "token_missing"
    german = call(client, "POST", "/api/v1/mailboxes", api_token(runtime, "nk-itc"),
                  lang="de", json={"institute": "ITC", "primary": "x@elsewhere.example",
                                   "username": "erika"})
    body = german.get_json()
    assert german.status_code == 422 and german.mimetype == "application/problem+json"
    assert body["title"] == "Ungültige Eingabe" and body["code"] == "foreign_domain"
    assert "elsewhere.example" in body["detail"] and "Domain" in body["detail"]
    missing = call(client, "POST", "/api/v1/mailboxes", api_token(runtime, "nk-itc"),
                   lang="de", json={}).get_json()
    assert {"name": "institute", "reason": "Dieses Feld ist nötig."} in missing[
        "invalid-params"]


def test_tokens_are_hashed_audited_and_die_with_revocation_expiry_and_role(app, client,
                                                                          clock):
    runtime = app.extensions["ra_runtime"]
    token = api_token(runtime, "nk-itc", ("network_contact",), days=1)
    assert call(client, "GET", "/api/v1/mailboxes", token).status_code == 200
    with runtime.session() as s:
        stored = s.exec(select(ApiToken)).one()
        assert token not in (stored.token_hash, stored.name) and len(stored.token_hash) == 64
        used = s.exec(select(AuditEvent).where(AuditEvent.trigger == "api_token_use")).all()
        assert [(e.actor, e.data["token"], e.data["path"]) for e in used] == [
            ("nk-itc", "nk-itc-test", "/api/v1/mailboxes")]
        s.delete(s.exec(select(RoleAssignment).where(
            RoleAssignment.role == "network_contact",
            RoleAssignment.person_id == stored.person_id)).one())
        s.commit()
    gone = call(client, "GET", "/api/v1/mailboxes", token)
    assert gone.status_code == 401 and gone.get_json()["code"] == "token_roles_gone"
    erika = api_token(runtime, "erika", days=1)
    assert call(client, "GET", "/api/v1/me", erika).get_json()["roles"] == ["user"]
    clock.advance(days=1, seconds=1)
    expired = call(client, "GET", "/api/v1/me", erika)
    assert expired.status_code == 401 and expired.get_json()["code"] == "token_invalid"


def test_applicant_requests_and_downloads_a_functional_mailbox_certificate(
        app, client, new_csr, run_jobs):
    runtime = app.extensions["ra_runtime"]
    nk, admin = api_token(runtime, "nk-itc"), api_token(runtime, "admin")
    row = call(client, "POST", "/api/v1/mailboxes", nk, json={
        "institute": "ITC", "primary": f"helpdesk@{ITC}", "kind": "functional",
        "display_name": "IT Helpdesk", "applicant": "erika"}).get_json()
    early = call(client, "POST", f"/api/v1/mailboxes/{row['id']}/challenge", nk)
    assert early.status_code == 409  # the name is not approved yet
    assert call(client, "POST", f"/api/v1/mailboxes/{row['id']}/approve-name", nk
                ).status_code == 403
    approved = call(client, "POST", f"/api/v1/mailboxes/{row['id']}/approve-name", admin)
    assert approved.status_code == 200
    twice = call(client, "POST", f"/api/v1/mailboxes/{row['id']}/approve-name", admin)
    assert twice.status_code == 422 and twice.get_json()["code"] == "name_not_awaiting_approval"
    assert call(client, "POST", f"/api/v1/mailboxes/{row['id']}/challenge", nk
                ).status_code == 200
    confirm_row(runtime, row["id"], "erika")
    gateway = api_token(runtime, "erika", ("user",))
    sent = call(client, "POST", "/api/v1/certificates", gateway, json={
        "mailbox": row["id"], "csr": new_csr()[1].decode(),
        "consents": ["name_and_mailbox", "data_processing", "directory_publication"]})
    assert sent.status_code == 201, sent.get_json()
    cert = sent.get_json()
    assert cert["status"] == "sent" and cert["addresses"] == [f"helpdesk@{ITC}"]
    early = call(client, "GET", f"/api/v1/certificates/{cert['id']}/chain", gateway)
    assert early.status_code == 409
    run_jobs()
    polled = call(client, "GET", f"/api/v1/certificates/{cert['id']}", gateway).get_json()
    assert polled["status"] == "issued"
    chain = call(client, "GET", f"/api/v1/certificates/{cert['id']}/chain", gateway)
    assert chain.mimetype == "application/pem-certificate-chain"
    assert chain.get_data(as_text=True).count("BEGIN CERTIFICATE") >= 2
    again = call(client, "POST", "/api/v1/certificates", gateway, json={
        "mailbox": row["id"], "csr": new_csr()[1].decode(),
        "consents": ["name_and_mailbox", "data_processing", "directory_publication"]})
    assert again.status_code == 422 and again.get_json()["code"] == "valid_certificate"
    revoked = call(client, "POST", f"/api/v1/certificates/{cert['id']}/revoke", nk,
                   json={"reason": "cessationOfOperation"})
    assert revoked.get_json()["status"] == "revoked", revoked.get_json()
    events = call(client, "GET", f"/api/v1/audit-events?entity_id={cert['id']}&limit=1",
                  admin).get_json()
    assert events["items"][0]["trigger"] == "revoke" and events["next_cursor"]
    older = call(client, "GET", f"/api/v1/audit-events?entity_id={cert['id']}&limit=1"
                 f"&cursor={events['next_cursor']}", admin).get_json()
    assert older["items"][0]["seq"] < events["items"][0]["seq"]
    with runtime.session() as s:
        assert s.exec(select(Certificate)).one().revocation_reason == "cessationOfOperation"


def test_auditor_reads_but_cannot_write(app, client):
    runtime = app.extensions["ra_runtime"]
    institute_address(runtime, "erika", f"erika-lab@{ITC}")
    auditor = api_token(runtime, "auditor")
    row = call(client, "GET", "/api/v1/mailboxes", auditor).get_json()["items"][0]
    refused = call(client, "POST", f"/api/v1/mailboxes/{row['id']}/deactivate", auditor)
    assert refused.status_code == 403 and refused.get_json()["code"] == "role_missing"
    assert call(client, "GET", "/api/v1/audit-events", auditor).status_code == 200


def test_token_page_shows_the_secret_once_and_revokes(app, browser):
    browser.login("nk-itc")
    refused = browser.submit("/tokens", {"name": "gw", "scopes": ["ra_admin"], "days": "30"},
                             follow_redirects=True)
    assert "You do not hold the role &#39;ra_admin&#39;" in refused.get_data(as_text=True)
    page = browser.submit("/tokens", {"name": "mail gateway", "scopes": ["network_contact"],
                                      "days": "30"}).get_data(as_text=True)
    secret = re.search(r'id="api-token">(rat_[^<]+)<', page).group(1)
    assert secret not in browser.get("/tokens").get_data(as_text=True)  # shown once
    me = call(browser.client, "GET", "/api/v1/me", secret).get_json()
    assert me["username"] == "nk-itc" and me["roles"] == ["network_contact"]
    with app.extensions["ra_runtime"].session() as s:
        public_id = s.exec(select(ApiToken.public_id)).one()
    browser.submit("/tokens", action=f"/tokens/{public_id}/revoke")
    assert call(browser.client, "GET", "/api/v1/me", secret).status_code == 401


def test_an_uncaught_error_is_a_problem_without_trace(app, client, monkeypatch):
    """The app's HTML error pages are registered by status code; the API's own win."""
    token = api_token(app.extensions["ra_runtime"], "auditor")

    def broken(*args, **kwargs):
        raise RuntimeError("secret detail")
    monkeypatch.setattr("ra_console.api.audit.paginate", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = call(client, "GET", "/api/v1/audit-events", token)
    assert response.status_code == 500 and response.mimetype == "application/problem+json"
    assert "secret detail" not in response.get_data(as_text=True)
    assert call(client, "GET", "/api/v1/me", token).status_code == 200  # next one works


def test_the_document_is_openapi_3_1_and_the_viewer_is_served_locally(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert "/api/v1/certificates/{public_id}/revoke" in document["paths"]
    viewer = client.get("/api/v1/docs")
    page = viewer.get_data(as_text=True)
    assert viewer.status_code == 200 and "<script>" not in page  # nothing inline (CSP)
    scripts = re.findall(r'src="([^"]+)"', page)
    assert all(src.startswith("/static/") for src in scripts) and len(scripts) == 2
    for src, digest in re.findall(r'(?:src|href)="(/static/[^"]+)" integrity="([^"]+)"', page):
        response = client.get(src)
        expected = base64.b64encode(hashlib.sha384(response.get_data()).digest()).decode()
        assert response.status_code == 200 and digest == f"sha384-{expected}"
        response.close()
    assert page.count("integrity=") == 3  # the stylesheet and both scripts


def test_every_operation_has_an_id_and_created_rows_link_to_their_operations(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operations = {op["operationId"]: (method, path)
                  for path, item in document["paths"].items()
                  for method, op in item.items() if isinstance(op, dict) and "responses" in op}
    count = sum(1 for item in document["paths"].values()
                for op in item.values() if isinstance(op, dict) and "responses" in op)
    assert len(operations) == count  # every operation has one, and no id is used twice
    links = {}
    for item in document["paths"].values():
        for op in (op for op in item.values() if isinstance(op, dict) and "responses" in op):
            for response in op["responses"].values():
                for link in response.get("links", {}).values():
                    links.setdefault(op["operationId"], set()).add(link["operationId"])
                    assert link["operationId"] in operations  # no link into the void
                    assert "{public_id}" in operations[link["operationId"]][1]
    assert {"getMailbox", "setMailboxAliases", "sendMailboxChallenge",
            "deactivateMailbox"} <= links["createMailbox"]
    assert {"getCertificate", "getCertificateChain", "revokeCertificate",
            "getMailbox"} <= links["requestCertificate"]


@pytest.mark.parametrize("matches_max", [2000, 0])
def test_mailbox_search_finds_address_parts_and_user_names(app, client, monkeypatch,
                                                           matches_max):
    """`q`: a part of an address (any case) or a user name; the same rows whether the
    matching ids are looked up first (few matches) or stay subqueries (many), page by page."""
    from ra_console.api import mailboxes

    monkeypatch.setattr(mailboxes, "MATCHES_MAX", matches_max)
    runtime = app.extensions["ra_runtime"]
    institute_address(runtime, "erika", f"erika-lab@{ITC}", (f"lab2@{ITC}",))
    institute_address(runtime, "max", f"max-lab@{ITC}")
    institute_address(runtime, "max", f"not-erika@{ITC}")
    token = api_token(runtime, "admin")

    def found(q: str) -> list[str]:
        ids, cursor = [], ""
        while True:  # one row per page: the cursor walks the matches
            page = call(client, "GET", f"/api/v1/mailboxes?limit=1&q={q}{cursor}",
                        token).get_json()
            ids += [row["id"] for row in page["items"]]
            if not page["next_cursor"]:
                return ids
            cursor = f"&cursor={page['next_cursor']}"

    with runtime.session() as s:
        rows = s.exec(select(Mailbox)).all()
        owners = {p.id: p.username for p in s.exec(select(Person)).all()}

        def expected(q: str) -> list[str]:
            return [m.public_id for m in sorted(rows, key=lambda m: -m.id)
                    if any(q.lower() in a.address for a in m.addresses)
                    or owners.get(m.owner_id) == q]

        for q in ("erika", "LAB", "lab2", "max", "nk-itc", "nobody"):
            assert found(q) == expected(q), q
        assert len(expected("erika")) >= 3 and len(expected("lab")) == 2  # not trivial


def test_last_use_is_kept_to_the_minute_and_every_use_audited(app, client, clock):
    """The token's "last used" (shown to the minute) is written at most once a minute;
    every use is still its own audit event."""
    from ra_console.core.db import aware

    runtime = app.extensions["ra_runtime"]
    token = api_token(runtime, "erika", days=1)

    def last_used():
        with runtime.session() as s:
            return aware(s.exec(select(ApiToken)).one().last_used_at)

    assert call(client, "GET", "/api/v1/me", token).status_code == 200
    first = last_used()
    assert first == clock.now
    clock.advance(seconds=30)
    call(client, "GET", "/api/v1/me", token)
    assert last_used() == first
    clock.advance(seconds=31)
    call(client, "GET", "/api/v1/me", token)
    assert last_used() == clock.now
    with runtime.session() as s:
        uses = s.exec(select(AuditEvent).where(AuditEvent.trigger == "api_token_use")).all()
    assert len(uses) == 3
