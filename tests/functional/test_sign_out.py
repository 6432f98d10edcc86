"""Sign-out ends the session on the server (pen-test finding 7: a cookie copied before
logout kept working until the idle or absolute timeout)."""

from __future__ import annotations

from sqlmodel import select
from support import Browser

from ra_console.models import AuditEvent, Person


def _copy_cookie(source, target) -> None:
    """What a thief does: copy the session cookie into another browser."""
    cookie = source.client.get_cookie("session")
    target.client.set_cookie("session", cookie.value)


def _another_browser(app):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return Browser(client)


def _person_id(runtime, username: str) -> int:
    with runtime.session() as s:
        return s.exec(select(Person.id).where(Person.username == username)).one()


def test_a_cookie_copied_before_logout_is_refused_after_it(app, browser):
    browser.login("erika")
    thief = _another_browser(app)
    _copy_cookie(browser, thief)
    assert thief.get("/certificates").status_code == 200  # the copy works while signed in
    browser.logout()
    response = thief.get("/certificates")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert thief.get("/login").status_code == 200  # the copied session itself was cleared


def test_sign_out_everywhere_ends_another_browsers_session(app, browser, runtime):
    laptop, phone = browser, _another_browser(app)
    laptop.login("erika")
    phone.login("erika")
    page = laptop.get("/certificates").get_data(as_text=True)
    assert 'id="sign-out-everywhere"' in page
    response = laptop.submit("/certificates", action="/logout/everywhere")
    assert response.status_code == 302
    assert "/login" in phone.get("/certificates").headers["Location"]
    assert "/login" in laptop.get("/certificates").headers["Location"]
    phone.login("erika")  # signing in again works
    assert phone.get("/certificates").status_code == 200
    with runtime.session() as s:
        event = s.exec(select(AuditEvent).where(
            AuditEvent.trigger == "sign_out_everywhere")).one()
        assert (event.actor, event.role) == ("erika", "user")


def test_ra_admin_signs_a_person_out_everywhere(app, browser, runtime):
    erika = _another_browser(app)
    erika.login("erika")
    browser.login("admin")
    erika_id = _person_id(runtime, "erika")
    response = browser.submit("/console/persons/", {"action": "end_sessions",
                                                    "rowid": str(erika_id)},
                              action="/console/persons/action/")
    assert response.status_code == 302
    assert "/login" in erika.get("/certificates").headers["Location"]
    assert browser.get("/console/persons/").status_code == 200  # the admin stays signed in
    with runtime.session() as s:
        event = s.exec(select(AuditEvent).where(
            AuditEvent.trigger == "sign_out_everywhere")).one()
        assert (event.actor, event.role) == ("admin", "ra_admin")


def test_an_auditor_cannot_sign_people_out(app, browser, runtime):
    erika = _another_browser(app)
    erika.login("erika")
    browser.login("auditor")
    browser.submit("/console/persons/", {"action": "end_sessions",
                                         "rowid": str(_person_id(runtime, "erika"))},
                   action="/console/persons/action/")
    assert erika.get("/certificates").status_code == 200
