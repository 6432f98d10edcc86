"""Every route of the app, for every kind of visitor: generated from app.url_map, so a new
route is covered (and must declare its access) automatically."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select
from support import api_token

from ra_console.console.base import Guarded
from ra_console.usecases.demo_people import DEMO_PEOPLE

ROLES = [None, "erika", "nk-itc", "idv", "admin", "auditor"]
SAMPLE_ARGS = {"public_id": str(uuid.uuid4()), "trigger": "submit", "kind": "pem",
               "code": "en", "name": "ra-issuing", "filename": "style.css", "row_id": "1",
               "export_type": "csv", "token": "not-a-token", "profile": "personal",
               "ca": "harica", "path": "Users"}
PUBLIC_ENDPOINTS = {"static", "admin.static"}


def console_views(app) -> dict:
    return {view.endpoint: view for view in app.extensions["admin"][0]._views}


def access_of(app, rule) -> str:
    """'public', 'login', 'roles:a,b' for portal views; 'console:a,b' for console views;
    'api:a,b' for the API and 'token:scim' for SCIM (bearer tokens only)."""
    if rule.endpoint in PUBLIC_ENDPOINTS:
        return "public"
    prefix, _, page = rule.endpoint.partition(".")
    view = console_views(app).get(prefix)
    if view is not None:
        assert isinstance(view, Guarded), f"console view {prefix} is not Guarded"
        narrower = getattr(getattr(view, page, None), "roles", None)
        return "console:" + ",".join(narrower or view.read_roles)
    return app.view_functions[rule.endpoint].access


def roles_of(who: str | None) -> set[str]:
    if who is None:
        return set()
    return {"user"} | {role for role, _ in DEMO_PEOPLE[who][1]}


def test_every_view_declares_its_access(app):
    undeclared = []
    for rule in app.url_map.iter_rules():
        try:
            access_of(app, rule)
        except AttributeError:
            undeclared.append(rule.rule)
    assert undeclared == []


def url_for_rule(rule) -> str:
    return rule.build(SAMPLE_ARGS)[1] if rule.arguments else rule.rule


@pytest.mark.parametrize("who", ROLES)
def test_sweep(app, browser, who):
    if who:
        browser.login(who)
    mine = roles_of(who)
    for rule in app.url_map.iter_rules():
        access = access_of(app, rule)
        if access == "public" or access.startswith("api:"):  # the API: test_api_sweep
            continue
        url = url_for_rule(rule)
        if access.startswith("token:"):  # e.g. SCIM: a session, any role, is no credential
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                status = browser.client.open(url, method=method).status_code
                assert status == 401, (url, method, who, status)
            continue
        allowed = set(access.split(":", 1)[1].split(",")) if ":" in access else {"user"}
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = browser.client.open(url, method=method)
            status = response.status_code
            where = (url, method, who, status)
            assert status < 500, where
            if method == "POST":
                # no token: every state-changing request is refused by CSRF protection
                assert status == 400, where
            elif who is None:
                assert status == 302 and "/login" in response.headers["Location"], where
            elif not (mine & allowed):
                assert status == 403, where
            else:
                assert status != 403, where


@pytest.mark.parametrize("who", ROLES)
def test_api_sweep(app, browser, who):
    """Every API route and method: without a token 401 (a signed-in browser's cookie does
    not count, so there is nothing to forge), with a token of a person lacking the route's
    roles 403, else neither; never a 5xx; always problem details when refused."""
    token = api_token(app.extensions["ra_runtime"], who) if who else None
    browser.login("admin")  # a session cookie that must not be used
    mine = roles_of(who)
    swept = 0
    for rule in app.url_map.iter_rules():
        access = access_of(app, rule)
        if not access.startswith("api:"):
            continue
        allowed = set(access.split(":", 1)[1].split(","))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            response = browser.client.open(url_for_rule(rule), method=method, json={},
                                           headers=headers)
            status, where = response.status_code, (rule.rule, method, who)
            swept += 1
            assert status < 500, where
            if status >= 400:
                assert response.mimetype == "application/problem+json", where
            if who is None:
                assert status == 401, where
            elif not (mine & allowed):
                assert status == 403, where
            else:
                assert status not in (401, 403), where
    assert swept >= 10


def table_counts(runtime) -> dict:
    from sqlmodel import SQLModel

    with runtime.engine.connect() as connection:
        return {name: connection.execute(select(func.count()).select_from(table)).scalar()
                for name, table in SQLModel.metadata.tables.items()
                if name not in ("audit_event", "audit_head", "person", "mailbox",
                                "mailbox_address")}


@pytest.mark.parametrize("who", ["auditor", "idv", "erika"])
def test_read_only_roles_change_nothing_in_the_console(app, browser, runtime, who):
    """With a valid CSRF token, every console POST by a non-writing role changes nothing."""
    browser.login(who)
    token = browser.token("/certificates")
    before = table_counts(runtime)
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or not rule.rule.startswith("/console"):
            continue
        data = {"csrf_token": token, "rowid": "1", "action": "retry", "id": "1",
                "code": "X", "name_de": "X", "name_en": "X", "role": "ra_admin",
                "person_id": "1", "domain": "evil.example.org", "institute_id": "1"}
        response = browser.client.post(url_for_rule(rule), data=data)
        assert response.status_code in (302, 400, 403, 404), (rule.rule, response.status_code)
    assert table_counts(runtime) == before
