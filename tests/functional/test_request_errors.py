"""Every bad input on the request page gets a clear message and changes nothing."""

from __future__ import annotations

import io
import re

import pytest
from cryptography.hazmat.primitives import hashes
from sqlmodel import select

from ra_console.models import Certificate

CONSENT = {"consent_name_and_mailbox": "y", "consent_data_processing": "y",
           "consent_directory_publication": "y"}


def mailbox_id(browser) -> str:
    page = browser.get("/certificates/new").get_data(as_text=True)
    return re.search(r'name="mailbox" value="([^"]+)"', page).group(1)


def send_form(browser, csr: bytes | None = None, text: str | None = None, **fields):
    data = {"mailbox": mailbox_id(browser), "key_algorithm": "RSA-2048", **CONSENT, **fields}
    if csr is not None:
        data["csr_file"] = (io.BytesIO(csr), "req.csr")
    if text is not None:
        data["csr_text"] = text
    return browser.submit("/certificates/new", data, content_type="multipart/form-data")


def count(runtime) -> int:
    with runtime.session() as s:
        return len(s.exec(select(Certificate)).all())


def error_text(response) -> str:
    match = re.search(r'class="flash error" role="alert">([^<]+)<', response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)[:2000]
    return match.group(1)


@pytest.fixture
def erika(browser):
    browser.login("erika")
    return browser


def tampered_csr(new_csr) -> bytes:
    """A CSR whose signature no longer matches its content (one subject byte changed)."""
    from cryptography import x509

    _key, der = new_csr(der=True)
    csr = x509.load_der_x509_csr(der)
    assert isinstance(csr.signature_hash_algorithm, hashes.SHA256)
    return der.replace(b"ignored", b"ignorex")


@pytest.mark.parametrize("make, expected", [
    (lambda n: n(bits=1024)[1], "1024 bits is not allowed"),
    (lambda n: n(exponent=3)[1], "65537"),
    (lambda n: b"Hello, I am not a CSR", "contains text but no certificate request"),
    (lambda n: b"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
     "not a certificate signing request"),
    (tampered_csr, "signature is not valid"),
    (lambda n: b"A" * 70000, "too large"),
])
def test_bad_csr_files(erika, runtime, new_csr, make, expected):
    before = count(runtime)
    response = send_form(erika, csr=make(new_csr))
    assert response.status_code == 400
    assert expected in error_text(response)
    assert count(runtime) == before


def test_missing_csr_and_consent(erika, runtime, new_csr):
    assert "upload a CSR" in error_text(send_form(erika))
    no_consent = {"consent_data_processing": ""}
    response = send_form(erika, csr=new_csr()[1], **no_consent)
    assert "all three consents" in error_text(response)
    assert count(runtime) == 0


def test_der_upload_and_pasted_pem_are_accepted(erika, runtime, new_csr):
    response = send_form(erika, csr=new_csr(der=True)[1])
    assert response.status_code == 302
    erika.submit(response.headers["Location"] + "/delete")
    pem = new_csr()[1].decode().replace("\n", "\r\n")
    response = send_form(erika, text="\n  " + pem + "  \n")
    assert response.status_code == 302, error_text(response)
    assert count(runtime) == 2


def test_reused_key_is_refused(erika, runtime, new_csr):
    _key, pem = new_csr()
    first = send_form(erika, csr=pem)
    assert first.status_code == 302
    erika.login("max")  # another person, another address: only the key is the same
    second = send_form(erika, text=pem.decode())
    assert "already used" in error_text(second)
    assert count(runtime) == 1
    erika.login("erika")
    erika.submit(first.headers["Location"] + "/delete")  # a deleted request frees its key
    erika.login("max")
    assert send_form(erika, csr=pem).status_code == 302


def test_foreign_mailbox_and_alias_are_refused(erika, runtime, new_csr):
    response = send_form(erika, csr=new_csr()[1], mailbox="00000000-0000-4000-8000-000000000000")
    assert "confirmed e-mail addresses" in error_text(response)
    chosen = mailbox_id(erika)
    response = send_form(erika, csr=new_csr()[1], **{f"aliases-{chosen}": "boss@uni.example.org"})
    assert ("boss@uni.example.org is not an alias of erika.mustermann@uni.example.org"
            in error_text(response))
    assert count(runtime) == 0


def test_csrf_is_required(erika, runtime, new_csr):
    response = erika.client.post("/certificates/new", data={"mailbox": "x"})
    assert response.status_code == 400
    assert "form has expired" in response.get_data(as_text=True)
    assert count(runtime) == 0


def test_upload_larger_than_the_request_limit(erika, runtime):
    data = {"csr_file": (io.BytesIO(b"x" * 300_000), "big.csr")}
    response = erika.submit("/certificates/new", data, content_type="multipart/form-data")
    assert response.status_code == 413
    assert "upload is too large" in response.get_data(as_text=True)


def test_person_without_status_is_told_about_identity_check(browser, runtime, new_csr):
    browser.login("gast")
    page = browser.get("/certificates/new").get_data(as_text=True)
    assert "identity must be verified in person" in page
    assert 'name="csr_file"' not in page


def test_other_persons_request_is_not_found(browser, runtime, new_csr):
    browser.login("erika")
    created = send_form(browser, csr=new_csr()[1])
    url = created.headers["Location"]
    browser.submit("/logout", action="/logout")
    browser.login("max")
    assert browser.get(url).status_code == 404
    assert browser.get(url + "/download/pem").status_code == 404
    token = browser.token("/certificates")
    assert browser.client.post(url + "/delete", data={"csrf_token": token}).status_code == 404
    with runtime.session() as s:
        assert s.exec(select(Certificate)).one().status == "requested"
