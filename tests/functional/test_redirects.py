"""Redirect targets a person chooses (`next=`, the console's `url=`) stay on this site
(pen-test findings 1 and 2: control characters between slashes, line breaks)."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest

# The reported payloads, as a form or a decoded query string delivers them.
HOSTILE = ["/\t/evil.example", "/\t/evil.example/x?y=1", "/\n/evil.example",
           "/\r\n/evil.example", "/certificates\r\nSet-Cookie: planted=1", "\\\\evil.example",
           "/\\evil.example", "//evil.example", "https://evil.example/", "/\x0b/evil.example",
           "/\x00/evil.example", "/\u2028/evil.example", "\uff0f\uff0fevil.example",
           "/%2F/evil.example", "javascript:alert(1)", " //evil.example", "/no-such-page"]


def _stays_home(response, target: str = "") -> None:
    if "\x00" in target:  # NUL is refused before any view runs (web/input.py)
        assert response.status_code == 400
        assert "<main" in response.get_data(as_text=True)
        return
    assert response.status_code == 302
    location = response.headers["Location"]
    assert urlsplit(urljoin("http://localhost/", location)).netloc == "localhost"
    assert location in ("/", "http://localhost/")


@pytest.mark.parametrize("target", HOSTILE)
def test_dev_sign_in_keeps_next_local(browser, target):
    response = browser.submit("/login", {"username": "erika", "next": target},
                              action="/login/dev")
    _stays_home(response, target)


@pytest.mark.parametrize("target", HOSTILE)
def test_sign_in_page_keeps_next_local_when_signed_in(browser, target):
    browser.login("erika")
    _stays_home(browser.get("/login", query_string={"next": target}), target)


@pytest.mark.parametrize("raw", ["/%09/evil.example", "/%0a/evil.example", "%5C%5Cevil",
                                 "/%0d%0aSet-Cookie:%20x=1"])
def test_percent_encoded_payloads_in_the_query_string(browser, raw):
    browser.login("erika")
    _stays_home(browser.get("/login?next=" + raw))


@pytest.mark.parametrize("target", HOSTILE)
def test_language_switch_keeps_next_local(browser, target):
    browser.login("erika")
    _stays_home(browser.submit("/certificates", {"next": target}, action="/lang/de"), target)


def test_local_pages_are_kept(browser):
    response = browser.submit("/login", {"username": "erika",
                                         "next": "/certificates?page=2"}, action="/login/dev")
    assert response.headers["Location"] == "/certificates?page=2"
    response = browser.submit("/certificates", {"next": "/certificates"}, action="/lang/en")
    assert response.headers["Location"] == "/certificates"


@pytest.mark.parametrize("target", ["/\t/evil.example", "/\n/evil.example",
                                    "/console/persons/\r\nX: y", "//evil.example"])
def test_console_return_url_follows_the_same_rule(browser, target):
    browser.login("admin")
    response = browser.get("/console/persons/edit/", query_string={"url": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/console/persons/"
    kept = browser.get("/console/persons/edit/", query_string={"url": "/console/roles/"})
    assert kept.headers["Location"] == "/console/roles/"
