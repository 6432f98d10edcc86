"""Dev sign-in, session lifetime and idle timeout, redirects, language, security headers."""

from __future__ import annotations

import pytest
from sqlmodel import select

from ra_console.models import AuditEvent


def test_session_idle_timeout_and_lifetime(browser, app):
    browser.login("erika")
    assert browser.get("/certificates").status_code == 200
    with browser.client.session_transaction() as sess:
        sess["seen_at"] -= 11 * 60
    response = browser.get("/certificates")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    browser.login("erika")
    with browser.client.session_transaction() as sess:
        sess["login_at"] -= 31 * 60
        sess["seen_at"] = sess["login_at"] + 31 * 60  # active all along
    response = browser.get("/certificates")
    assert response.status_code == 302


def test_activity_keeps_the_session_and_the_cookie_is_resent_once_a_minute(browser):
    browser.login("erika")
    browser.get("/certificates")
    assert "Set-Cookie" not in browser.get("/certificates").headers  # nothing changed
    with browser.client.session_transaction() as sess:
        sess["seen_at"] -= 9 * 60  # idle for 9 of the 10 minutes, then active again
        stamp = sess["seen_at"]
    response = browser.get("/certificates")
    assert response.status_code == 200 and "Set-Cookie" in response.headers
    with browser.client.session_transaction() as sess:
        assert sess["seen_at"] >= stamp + 9 * 60 - 5  # the idle clock starts again


def test_login_rotates_the_session_and_logout_clears_it(browser):
    with browser.client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    browser.login("erika")
    with browser.client.session_transaction() as sess:
        assert "planted" not in sess and "person_id" in sess
    browser.submit("/certificates", action="/logout")
    assert browser.get("/certificates").status_code == 302


def test_unknown_demo_identity_is_audited(browser, runtime):
    response = browser.submit("/login", {"username": "mallory"}, action="/login/dev")
    assert response.status_code == 302
    with runtime.session() as s:
        failed = s.exec(select(AuditEvent).where(AuditEvent.trigger == "login_failed")).one()
        assert failed.actor == "mallory"


def test_a_failed_dev_sign_in_is_audited_without_invisible_characters(browser, runtime):
    """The typed name is logged without invisible characters, cut to the longest user name
    (pen-test finding 8); a NUL is refused before any view and logs nothing."""
    assert browser.submit("/login", {"username": "mal\x00lory"},
                          action="/login/dev").status_code == 400
    response = browser.submit("/login", {"username": "mal\u200blory" + "y" * 5000},
                              action="/login/dev")
    assert response.status_code == 302
    with runtime.session() as s:
        failed = s.exec(select(AuditEvent).where(AuditEvent.trigger == "login_failed")).one()
        assert failed.actor.startswith("mallory") and len(failed.actor) == 128


@pytest.mark.parametrize("target", ["https://evil.example.com/", "//evil.example.com/x",
                                    "/\\evil.example.com"])
def test_no_open_redirect_after_login(browser, target):
    token = browser.token("/login")
    response = browser.client.post("/login/dev", data={"csrf_token": token, "username": "erika",
                                                       "next": target})
    assert response.headers["Location"] in ("/", "http://localhost/")


def test_language_switch_and_browser_language(app, browser):
    browser.login("erika")
    assert "My client certificates" in browser.get("/certificates").get_data(as_text=True)
    browser.submit("/certificates", {"next": "/certificates"}, action="/lang/de")
    assert "Meine Client-Zertifikate" in browser.get("/certificates").get_data(as_text=True)
    german = app.test_client()
    german.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de-DE,de;q=0.9"
    assert "Anmelden" in german.get("/login").get_data(as_text=True)


def test_security_headers(browser):
    response = browser.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cookie = browser.login("erika").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_behind_https_cookies_are_secure_and_hsts_is_sent(runtime):
    from ra_console.app import create_app

    runtime.config["auth.secure_cookies"] = True
    client = create_app(runtime=runtime).test_client()
    page = client.get("/login", base_url="https://localhost")
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Referrer-Policy" in page.headers and "frame-ancestors 'none'" in page.headers[
        "Content-Security-Policy"]
    import re
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    # over https, Flask-WTF also wants a same-origin Referer
    response = client.post("/login/dev", data={"csrf_token": token.group(1),
                                               "username": "erika"},
                           base_url="https://localhost",
                           headers={"Referer": "https://localhost/login"})
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
