"""The CSR endpoint of the browser path, the page's script tags (SRI, no inline script) and
the texts handed to the JavaScript — through the test client, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from sqlmodel import select

from ra_console.models import Certificate

CONSENT = {"consent_name_and_mailbox": "y", "consent_data_processing": "y",
           "consent_directory_publication": "y"}
STATIC = Path(__file__).resolve().parents[2] / "ra_console" / "static"


def _post(browser, csr_pem: str, **fields):
    page = browser.get("/certificates/new").get_data(as_text=True)
    mailbox = re.search(r'name="mailbox" value="([^"]+)"', page).group(1)
    data = {"mailbox": mailbox, "key_algorithm": "RSA-2048", "csr_text": csr_pem, **CONSENT,
            **fields}
    return browser.submit("/certificates/new", data, action="/certificates/new/browser")


def test_browser_csr_is_accepted_with_origin_browser(browser, new_csr, runtime):
    browser.login("erika")
    _key, csr = new_csr()
    response = _post(browser, csr.decode())
    assert response.status_code == 201, response.get_data(as_text=True)
    answer = response.get_json()
    assert answer["ok"] and answer["emails"] == ["erika.mustermann@uni.example.org"]
    assert answer["submit_url"] == f"/certificates/{answer['public_id']}/submit"
    with runtime.session() as s:
        cert = s.exec(select(Certificate).where(
            Certificate.public_id == answer["public_id"])).one()
        assert cert.origin == "browser" and cert.status == "requested"
        assert cert.spki_sha256 == answer["spki_sha256"]


@pytest.mark.parametrize("curve, name", [(ec.SECP256R1(), "EC-P256"), (ec.SECP384R1(), "EC-P384")])
def test_ec_csr_is_accepted(browser, new_csr, runtime, curve, name):
    browser.login("erika")
    response = _post(browser, new_csr(curve=curve)[1].decode(), key_algorithm=name)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["key_algorithm"] == name
    with runtime.session() as s:
        assert s.exec(select(Certificate)).one().key_algorithm == name


@pytest.mark.parametrize("language, rsa_words, ec_words", [
    ("en", "works with every mail program", "not every mail program can use it"),
    ("de", "funktioniert mit jedem Mailprogramm", "nicht jedes Mailprogramm"),
])
def test_key_choices_are_explained(browser, language, rsa_words, ec_words):
    browser.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    browser.login("erika")
    page = browser.get("/certificates/new").get_data(as_text=True)
    options = dict(re.findall(r'<option value="([^"]+)"[^>]*>([^<]+)</option>', page))
    assert list(options) == ["RSA-4096", "RSA-3072", "RSA-2048", "EC-P256", "EC-P384"]
    assert rsa_words in options["RSA-4096"] and ec_words in options["EC-P256"]
    assert 'id="key-algorithm-hint"' in page


@pytest.mark.parametrize("fields, expected", [
    ({"consent_data_processing": ""},
     "Please give all three consents (missing: data processing)."),
    ({"csr_text": ""}, "Please upload a CSR file or paste the CSR."),
    ({"csr_text": "not a csr"}, "This is not a certificate signing request"),
])
def test_refusals_come_back_as_translated_json(browser, new_csr, runtime, fields, expected):
    browser.login("erika")
    response = _post(browser, new_csr()[1].decode(), **fields)
    assert response.status_code == 400
    assert response.get_json()["ok"] is False
    assert expected in response.get_json()["error"]
    with runtime.session() as s:
        assert s.exec(select(Certificate)).all() == []


def test_key_reuse_is_refused(browser, new_csr):
    browser.login("erika")
    csr = new_csr()[1].decode()
    assert _post(browser, csr).status_code == 201
    browser.login("max")  # another person: only the key is the same
    again = _post(browser, csr)
    assert again.status_code == 400 and "already used" in again.get_json()["error"]


def test_german_refusal(browser, new_csr):
    browser.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    browser.login("erika")
    response = _post(browser, new_csr()[1].decode(), consent_data_processing="")
    assert response.get_json()["error"] == (
        "Bitte bestätigen Sie alle drei Erklärungen (es fehlt: Datenverarbeitung).")


def test_without_token_nothing_happens(browser, new_csr, runtime):
    browser.login("erika")
    response = browser.client.post("/certificates/new/browser", data={"csr_text": "x"})
    assert response.status_code == 400
    with runtime.session() as s:
        assert s.exec(select(Certificate)).all() == []


def _integrity(name: str) -> str:
    digest = hashlib.sha384((STATIC / name).read_bytes()).digest()
    return "sha384-" + base64.b64encode(digest).decode()


def test_scripts_carry_sri_and_no_inline_script(browser):
    browser.login("erika")
    page = browser.get("/certificates/new")
    html = page.get_data(as_text=True)
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in page.headers["Content-Security-Policy"].split("script-src")[1]
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all(body.strip() == "" for _attrs, body in scripts)
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"
    loaded = dict(re.findall(r'(?:src|href)="/static/([^"]+\.js)" integrity="([^"]+)"', html))
    assert set(loaded) == {"js/request-page.js", "js/keys.js", "js/der.js", "js/encoding.js",
                           "js/requestfile.js", "js/ui.js"}
    for name, integrity in loaded.items():
        assert integrity == _integrity(name), name
    # every module a page loads is preloaded with its hash: imports never bypass SRI
    for name in loaded:
        for imported in re.findall(r'from "(\.{1,2}/[^"]+)"', (STATIC / name).read_text()):
            target = str(Path(name).parent / imported).replace("js/../", "")
            assert target in loaded, f"{name} imports {imported} without integrity"


def test_javascript_texts_are_translated(browser):
    browser.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    browser.login("erika")
    html = browser.get("/certificates/new").get_data(as_text=True)
    texts = re.search(r'<div id="js-texts" hidden([^>]*)>', html).group(1)
    assert 'data-wrong-password="Falsches Passwort für die Antragsdatei."' in texts
    assert 'data-no-webcrypto="Dieser Browser kann hier keine Schlüssel erzeugen' in texts
    assert "{name}" in texts  # placeholders the browser fills in


def test_no_english_text_in_javascript():
    """Every text the pages show comes from the server (data- attributes), none from JS."""
    for path in (STATIC / "js").glob("*.js"):
        code = path.read_text()
        for literal in re.findall(r'"([^"\n]{25,})"|`([^`\n]{25,})`', code):
            text = literal[0] or literal[1]
            assert not re.fullmatch(r"[A-Z][a-z]+( [a-z]+){3,}[.!]?", text), (path.name, text)


def test_modules_are_revalidated_other_static_files_cached(browser):
    """After an upgrade a cached old module would fail its new integrity check."""
    def headers(url, **kwargs):
        response = browser.get(url, **kwargs)
        response.close()  # static files are streamed from disk
        return response.status_code, response.headers

    status, module = headers("/static/js/der.js")
    assert status == 200 and "no-cache" in module["Cache-Control"]
    assert "no-cache" not in headers("/static/style.css")[1]["Cache-Control"]
    assert headers("/static/js/der.js", headers={"If-None-Match": module["ETag"]})[0] == 304
