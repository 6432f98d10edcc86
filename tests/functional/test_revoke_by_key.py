"""Revocation without an account, by proof of key possession (/pki/revoke): the openssl
path through the test client, signatures made by the openssl binary, on SQLite and
PostgreSQL. The browser path (request file) is in tests/e2e/test_revoke_by_key.py."""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlmodel import select
from support import missing

from ra_console.models import AuditEvent, Certificate, OutboxMessage

CHALLENGE_RE = re.compile(r'name="challenge" value="([^"]+)"')
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture(scope="module")
def openssl() -> str:
    path = shutil.which("openssl")
    if path is None:
        missing("openssl")
    return path


@pytest.fixture(params=["rsa", "ec"])
def holder(request, issue_directly, new_csr, runtime):
    """An issued certificate of erika and its private key (RSA-2048 or EC P-256)."""
    key, csr = new_csr(curve=ec.SECP256R1()) if request.param == "ec" else new_csr()
    cert_id = issue_directly(csr=csr)
    with runtime.session() as s:
        return s.get(Certificate, cert_id), key


def _page(browser):
    page = browser.get("/pki/revoke").get_data(as_text=True)
    return CSRF_RE.search(page).group(1), CHALLENGE_RE.search(page).group(1)


def _sign(openssl, key, challenge: str, tmp_path) -> bytes:
    """What the page tells the key holder to run."""
    (tmp_path / "my.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    subprocess.run(["bash", "-c", f"printf '%s' '{challenge}' > challenge.txt && openssl dgst "
                    "-sha256 -sign my.key -out signature.bin challenge.txt"],
                   cwd=tmp_path, check=True, env={"PATH": f"{Path(openssl).parent}:/bin"})
    return (tmp_path / "signature.bin").read_bytes()


def _post(browser, token, challenge, *, cert_pem: bytes | None = None,
          signature_file: bytes | None = None, **fields):
    data = {"csrf_token": token, "challenge": challenge, **fields}
    if cert_pem is not None:
        data["certificate_file"] = (io.BytesIO(cert_pem), "cert.pem")
    if signature_file is not None:
        data["signature_file"] = (io.BytesIO(signature_file), "signature.bin")
    return browser.client.post("/pki/revoke", data=data, content_type="multipart/form-data")


def test_openssl_signature_revokes_with_key_compromise(browser, holder, openssl, runtime,
                                                       run_jobs, tmp_path):
    cert, key = holder
    token, challenge = _page(browser)
    signature = _sign(openssl, key, challenge, tmp_path)
    response = _post(browser, token, challenge, cert_pem=cert.cert_pem.encode(),
                     signature_file=signature)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert f"The certificate {cert.serial} is revoked (key compromise)" in page
    with runtime.session() as s:
        row = s.get(Certificate, cert.id)
        assert row.status == "revoked" and row.revocation_reason == "keyCompromise"
        event = s.exec(select(AuditEvent).where(AuditEvent.entity_id == cert.public_id,
                                                AuditEvent.trigger == "revoke")).one()
        assert (event.actor, event.role, event.ip) == ("key-holder", "key_holder", "127.0.0.1")
        messages = {(m.kind, m.payload.get("template")) for m in s.exec(select(OutboxMessage))}
        assert ("ca.revoke", None) in messages
        assert ("mail", "certificate_revoked") in messages  # the subscriber is told
    run_jobs()
    crl = x509.load_der_x509_crl(browser.get("/pki/ra-issuing.crl").data)
    entry = crl.get_revoked_certificate_by_serial_number(int(cert.serial, 16))
    reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
    assert reason == x509.ReasonFlags.key_compromise


def test_base64_signature_and_no_certificate_upload_needed_with_the_fingerprint(
        browser, holder, openssl, runtime, tmp_path):
    """The browser path's form fields: the key's SPKI SHA-256 and a base64 signature."""
    cert, key = holder
    token, challenge = _page(browser)
    signature = base64.b64encode(_sign(openssl, key, challenge, tmp_path)).decode()
    response = _post(browser, token, challenge, signature=signature,
                     spki_sha256=cert.spki_sha256)
    assert response.status_code == 200, response.get_data(as_text=True)
    with runtime.session() as s:
        assert s.get(Certificate, cert.id).status == "revoked"


def _refusal(response) -> str:
    assert response.status_code == 400
    return re.search(r'id="possession-error">([^<]+)<', response.get_data(as_text=True)).group(1)


def test_refusals_are_explained_and_change_nothing(browser, holder, openssl, runtime, clock,
                                                   new_csr, tmp_path):
    cert, key = holder
    pem = cert.cert_pem.encode()
    token, challenge = _page(browser)
    good = _sign(openssl, key, challenge, tmp_path)
    wrong = _sign(openssl, new_csr(curve=ec.SECP256R1())[0], challenge, tmp_path)
    forged = challenge[:-1] + ("0" if challenge[-1] != "0" else "1")
    cases = [
        ((challenge,), dict(cert_pem=pem, signature_file=wrong), "The signature does not match"),
        ((forged,), dict(cert_pem=pem, signature_file=good), "not issued by this page"),
        ((challenge,), dict(cert_pem=b"no certificate", signature_file=good), "cannot be read"),
        ((challenge,), dict(signature_file=good), "Please choose your request file"),
        ((challenge,), dict(cert_pem=pem), "Please upload or paste the signature"),
        ((challenge,), dict(signature_file=good, spki_sha256="ab" * 32),
         "No certificate issued by this RA has this public key"),
    ]
    for args, fields, expected in cases:
        assert expected in _refusal(_post(browser, token, *args, **fields)), expected
    clock.advance(minutes=31)
    assert "has expired" in _refusal(_post(browser, token, challenge, cert_pem=pem,
                                           signature_file=good))
    with runtime.session() as s:
        assert s.get(Certificate, cert.id).status == "issued"
        assert s.exec(select(AuditEvent).where(AuditEvent.trigger == "revoke")).all() == []


def test_already_revoked_is_refused(browser, holder, openssl, tmp_path):
    cert, key = holder
    pem = cert.cert_pem.encode()
    token, challenge = _page(browser)
    signature = _sign(openssl, key, challenge, tmp_path)
    assert _post(browser, token, challenge, cert_pem=pem, signature_file=signature
                 ).status_code == 200
    again = _refusal(_post(browser, token, challenge, cert_pem=pem, signature_file=signature))
    assert again == f"The certificate {cert.serial} is already revoked."


def test_expired_certificate_is_refused(browser, holder, openssl, runtime, clock, tmp_path):
    cert, key = holder
    clock.advance(days=731)  # the personal profile's 730 days are over
    token, challenge = _page(browser)
    signature = _sign(openssl, key, challenge, tmp_path)
    refusal = _refusal(_post(browser, token, challenge, cert_pem=cert.cert_pem.encode(),
                             signature_file=signature))
    assert refusal == (f"The certificate {cert.serial} has expired; an expired certificate "
                       "is not revoked.")
    with runtime.session() as s:
        assert s.get(Certificate, cert.id).status == "issued"


def test_german_refusal(browser):
    browser.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    token, challenge = _page(browser)
    refusal = _refusal(_post(browser, token, challenge, signature="AAAA",
                             spki_sha256="ab" * 32))
    assert refusal == "Kein von dieser RA ausgestelltes Zertifikat hat diesen öffentlichen Schlüssel."


def test_linked_from_the_public_pages_and_the_pki_index(browser):
    login = browser.get("/login").get_data(as_text=True)
    assert 'href="/pki/revoke"' in login
    index = browser.get("/pki/")
    assert index.status_code == 200
    page = index.get_data(as_text=True)
    assert 'href="/pki/revoke"' in page and 'href="/pki/ra-issuing.crl"' in page
    assert 'href="/pki/ra-root.crt"' in page
