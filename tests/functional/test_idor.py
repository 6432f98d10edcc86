"""IDOR: every route that takes an id, called by people who must not see that object.
Generated from app.url_map, so a new id-bearing route is covered automatically."""

from __future__ import annotations

import pytest
from sqlmodel import select

from ra_console.models import Certificate, IdentityCheck, Mailbox, Person

ID_ARGS = {"public_id", "row_id", "id"}


@pytest.fixture
def erikas_things(browser, run_jobs, request_certificate, runtime):
    """An issued certificate, a mailbox and an identity check that belong to erika."""
    public_id = request_certificate("erika")
    run_jobs()
    browser.submit("/identity", {"consent": "1"})
    browser.logout()
    with runtime.session() as s:
        cert = s.exec(select(Certificate).where(Certificate.public_id == public_id)).one()
        box = s.get(Mailbox, cert.mailbox_id)
        person = s.exec(select(Person).where(Person.username == "erika")).one()
        check = s.exec(select(IdentityCheck)).one()
    return {"cert": cert, "mailbox": box, "person": person, "check": check}


def id_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.arguments & ID_ARGS and rule.endpoint not in ("static",):
            yield rule


def values_for(rule, things) -> list[dict]:
    """The ids of erika's objects that this route could take."""
    prefix = rule.endpoint.split(".")[0]
    cert, box = things["cert"], things["mailbox"]
    base = {"trigger": "submit", "kind": "pem", "export_type": "csv", "token": "x"}
    if "public_id" in rule.arguments:
        return [{**base, "public_id": cert.public_id}]
    row = {"certificates": cert.id, "approvals": cert.id, "mailboxes": box.id,
           "persons": things["person"].id, "identity_checks": things["check"].id}
    return [{**base, "row_id": str(row.get(prefix, cert.id))}]


@pytest.mark.parametrize("who", ["max", "nk-phys", "idv"])
def test_nobody_else_reaches_erikas_objects(app, browser, erikas_things, runtime, who):
    browser.login(who)
    token = browser.token("/certificates")
    secrets = [erikas_things["cert"].public_id, erikas_things["cert"].serial,
               erikas_things["cert"].spki_sha256]
    for rule in id_routes(app):
        for values in values_for(rule, erikas_things):
            url = rule.build(values)[1]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                data = {"csrf_token": token, "comment": "", "reason": "keyCompromise"}
                response = browser.client.open(url, method=method, data=data)
                body = response.get_data(as_text=True)
                assert response.status_code in (302, 400, 401, 403, 404), (url, method, who,
                                                                      response.status_code)
                if response.status_code != 302 or method == "GET":
                    assert not any(s and s in body for s in secrets[1:]), (url, method, who)
    with runtime.session() as s:
        cert = s.exec(select(Certificate).where(
            Certificate.public_id == erikas_things["cert"].public_id)).one()
        assert cert.status == "issued"
        assert s.exec(select(Mailbox).where(Mailbox.id == erikas_things["mailbox"].id)
                      ).one().status == "verified"
