"""Revocation without an account in a real browser: the request file (.json) is opened and
the challenge signed in Chromium; only the signature and the key's fingerprint leave it."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from sqlmodel import select
from support import assert_key_never_sent

from ra_console.models import AuditEvent, Certificate
from ra_console.pki import requestfile as rf

PASSWORD = "Widerruf mit Schlüssel 🔑"


@pytest.fixture(params=["rsa", "ec"])
def request_file(request, issue_directly, new_csr, runtime, tmp_path):
    """An issued certificate of erika and its request file, as the portal saved it."""
    key, csr_pem = new_csr(curve=ec.SECP256R1()) if request.param == "ec" else new_csr()
    cert_id = issue_directly(csr=csr_pem)
    with runtime.session() as s:
        cert = s.get(Certificate, cert_id)
    path = tmp_path / "erika.json"
    path.write_text(rf.write_request_file(
        key, x509.load_pem_x509_csr(csr_pem), request_id=cert.public_id,
        emails=list(cert.addresses), password=PASSWORD, iterations=10_000))
    return cert, key, path


def test_revoke_with_the_request_file(portal, request_file, runtime):
    cert, key, path = request_file
    page = portal.page
    page.goto(f"{portal.base}/pki/revoke")
    page.set_input_files("#request-file", str(path))
    page.fill("#json-password", "not the password")
    page.click("#revoke-with-file")
    assert portal.status_text("#possession-status") == "Wrong password for the request file."
    assert not [r for r in portal.sent if r.method == "POST"]  # nothing was sent

    page.fill("#json-password", PASSWORD)
    with page.expect_navigation():
        page.click("#revoke-with-file")
    assert f"The certificate {cert.serial} is revoked" in page.inner_text("#possession-done")
    with runtime.session() as s:
        row = s.get(Certificate, cert.id)
        assert row.status == "revoked" and row.revocation_reason == "keyCompromise"
        event = s.exec(select(AuditEvent).where(AuditEvent.entity_id == cert.public_id,
                                                AuditEvent.trigger == "revoke")).one()
        assert event.role == "key_holder"
    [post] = [r for r in portal.sent if r.method == "POST"]
    assert post.url.endswith("/pki/revoke") and cert.spki_sha256.encode() in post.body
    assert_key_never_sent(portal.sent, key)
    assert PASSWORD.encode() not in post.body and b'"private_key"' not in post.body
