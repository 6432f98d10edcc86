"""Every route of the app, for every kind of visitor: generated from app.url_map, so a new
route is covered (and must declare its access) automatically."""

from __future__ import annotations

import uuid

import pytest

ROLES = [None, "erika", "nk-itc", "idv", "admin", "auditor"]
SAMPLE_ARGS = {"public_id": str(uuid.uuid4()), "trigger": "submit", "kind": "pem",
               "code": "en", "name": "ra-issuing", "filename": "style.css"}


def routes(app):
    for rule in app.url_map.iter_rules():
        yield rule, app.view_functions[rule.endpoint]


def test_every_view_declares_its_access(app):
    undeclared = [rule.rule for rule, view in routes(app)
                  if rule.endpoint != "static" and not hasattr(view, "access")]
    assert undeclared == []


@pytest.mark.parametrize("who", ROLES)
def test_sweep(app, browser, who):
    if who:
        browser.login(who)
    for rule, view in routes(app):
        if rule.endpoint == "static":
            continue
        url = rule.build(SAMPLE_ARGS)[1] if rule.arguments else rule.rule
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = browser.client.open(url, method=method)
            status = response.status_code
            access = view.access
            assert status < 500, (url, method, status)
            if method == "POST":
                # no token: every state-changing request is refused by CSRF protection
                assert status == 400, (url, method, status)
            elif access != "public" and who is None:
                assert status == 302 and "/login" in response.headers["Location"], (url, status)
            elif access.startswith("roles:") and not any(
                    role in access for role in _roles_of(who)):
                assert status == 403, (url, who, status)


def _roles_of(who: str | None) -> set[str]:
    from ra_console.demo_people import DEMO_PEOPLE

    if who is None:
        return set()
    return {"user"} | {role for role, _ in DEMO_PEOPLE[who][1]}
