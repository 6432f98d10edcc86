"""Every error of the browser path, shown in the user's language; nothing saved on failure."""

from __future__ import annotations

import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from sqlmodel import select

from ra_console.models import Certificate
from ra_console.pki import requestfile as rf

PASSWORD = "Äpfel und Birnen 🍐"


def _downloads(portal) -> list:
    seen = []
    portal.page.on("download", lambda download: seen.append(download))
    return seen


def _count(runtime) -> int:
    with runtime.session() as s:
        return len(s.exec(select(Certificate)).all())


def test_request_page_errors_save_nothing(portal, runtime):
    portal.login()
    portal.open_request_page()
    downloads = _downloads(portal)

    portal.fill_request("short", repeat="short")
    portal.page.click("#generate")
    assert "at least 8 characters" in portal.status_text("#browser-status")
    portal.fill_request(PASSWORD, repeat=PASSWORD + "!")
    portal.page.click("#generate")
    assert "not the same" in portal.status_text("#browser-status")

    # the server refuses (a consent is missing): its message, no file, no request
    portal.page.uncheck("input[name=consent_data_processing]")
    portal.page.fill("#json-password-repeat", PASSWORD)
    portal.page.click("#generate")
    portal.page.wait_for_selector("#browser-status.error")
    assert portal.page.inner_text("#browser-status") == (
        "Please give all three consents (missing: data processing).")
    assert downloads == [] and _count(runtime) == 0
    assert portal.page.is_visible("#request-form") and not portal.page.is_visible("#browser-done")


def test_german_texts_in_the_browser(portal):
    portal.login()
    portal.open_request_page()
    portal.page.click("button.link:text('DE')")
    portal.page.wait_for_selector("html[lang=de]")
    # the label sits in the controls the page's script unhides: wait for it, do not poll once
    portal.page.wait_for_selector("text=Passwort zum Verschlüsseln des Private Key",
                                  state="visible")
    portal.fill_request("kurz", repeat="kurz")
    portal.page.click("#generate")
    assert portal.status_text("#browser-status") == (
        "Das Passwort muss mindestens 8 Zeichen lang sein.")


def test_without_webcrypto_the_upload_path_is_offered(portal, new_csr, runtime):
    """Not a secure context (simulated): a clear message; the CSR upload still works."""
    portal.page.add_init_script("Object.defineProperty(window, 'isSecureContext', "
                                "{value: false})")
    portal.login()
    portal.open_request_page()
    message = portal.page.inner_text("#browser-unavailable")
    assert "secure connection (https)" in message and "upload the CSR below" in message
    assert not portal.page.is_visible("#generate")
    _upload(portal, new_csr)
    assert _count(runtime) == 1


def _upload(portal, new_csr) -> None:
    page = portal.page
    for name in ("consent_name_and_mailbox", "consent_data_processing",
                 "consent_directory_publication"):
        page.check(f"input[name={name}]")
    page.fill("textarea[name=csr_text]", new_csr()[1].decode())
    page.click("#upload")
    page.wait_for_url("**/certificates/*-*")


def test_upload_path_works_without_javascript(make_portal, new_csr, runtime):
    portal = make_portal(java_script_enabled=False)
    portal.login()
    portal.open_request_page()
    assert "needs JavaScript" in portal.page.inner_text("#browser-unavailable")
    assert not portal.page.is_visible("#generate")
    _upload(portal, new_csr)
    assert _count(runtime) == 1


@pytest.fixture
def issued(portal, run_jobs, runtime):
    """A browser-made request, sent and issued: (its request file, the certificate page)."""
    portal.login()
    portal.open_request_page()
    portal.fill_request(PASSWORD)
    public_id, path = portal.generate()
    portal.page.click("#send-now button")
    portal.page.wait_for_url(f"**/certificates/{public_id}")
    run_jobs()
    portal.page.goto(f"{portal.base}/certificates/{public_id}")
    portal.page.wait_for_selector("#p12-form")
    return path


def _other_request_file(folder):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")]))
           .sign(key, hashes.SHA256()))
    path = folder / "other.json"
    path.write_text(rf.write_request_file(key, csr, request_id="other", emails=["x@y.org"],
                                          password=PASSWORD, iterations=1000))
    return path


def test_pkcs12_errors(portal, issued, tmp_path):
    downloads = _downloads(portal)
    folder = tmp_path
    good = json.loads(issued.read_text())
    other = _other_request_file(folder)

    def attempt(path, json_password=PASSWORD, p12_password="p12 pässword") -> str:
        portal.fill_p12(path, json_password, p12_password)
        portal.page.click("#build-p12")
        portal.page.wait_for_selector("#p12-status.error")
        text = portal.page.inner_text("#p12-status")
        portal.page.evaluate("document.getElementById('p12-status').className = ''")
        return text

    def write(name, content) -> object:
        (folder / name).write_text(content, encoding="utf-8")
        return folder / name

    assert attempt(issued, json_password="Äpfel und Birnen") == (
        "Wrong password for the request file.")
    assert attempt(other).startswith("This request file belongs to another request")
    assert attempt(write("letter.json", "Dear RA, my key is safe.")) == (
        "This is not a request file (.json) of this portal.")
    assert attempt(write("mail.txt", json.dumps({"format": "other"}))) == (
        "This is not a request file (.json) of this portal.")
    damaged_key = good["private_key"].replace(good["private_key"][120:130], "!!!!!!!!!!")
    assert attempt(write("damaged.json", json.dumps({**good, "private_key": damaged_key}))
                   ).startswith("The request file is damaged")
    assert attempt(write("cut.json", issued.read_text()[:-200])) == (
        "This is not a request file (.json) of this portal.")
    assert attempt(write("v2.json", json.dumps({**good, "version": 2}))) == (
        "This request file has a format version (2) this portal cannot read.")
    too_many = rf.encrypt_private_key(rf.decrypt_private_key(
        rf.read_request_file(issued.read_bytes()), PASSWORD), PASSWORD,
        iterations=rf.MAX_ITERATIONS + 1)
    message = attempt(write("slow.json", json.dumps({**good, "private_key": too_many})))
    assert message.startswith("The request file asks for 10000001 key derivation iterations")
    assert attempt(issued, p12_password="") == "Please set a password for the PKCS#12 file."
    assert attempt(issued, json_password="") == "Please enter the password of the request file."
    portal.page.set_input_files("#request-file", [])
    portal.page.click("#build-p12")
    assert portal.status_text("#p12-status") == "Please choose your request file (.json)."
    assert downloads == []
    assert not portal.page.is_visible("#save-p12-again"), "nothing to save again yet"
    portal.page.check("#same-password")
    assert not portal.page.is_visible("#p12-password")


@pytest.mark.parametrize("module", ["js/request-page.js", "js/der.js"])
def test_a_changed_module_is_refused(portal, module):
    """SRI covers the entry module and every module it imports (via modulepreload)."""
    errors = []
    portal.page.on("console", lambda message: errors.append(message.text))

    def tamper(route) -> None:
        response = route.fetch()
        route.fulfill(response=response, body=response.text() + "\n// changed on the way\n")
    portal.login()
    portal.page.route(f"**/static/{module}", tamper)
    portal.open_request_page()
    portal.page.wait_for_load_state("networkidle")
    assert any("integrity" in error for error in errors), errors
    assert portal.page.is_visible("#browser-unavailable")
    assert not portal.page.is_visible("#generate")
