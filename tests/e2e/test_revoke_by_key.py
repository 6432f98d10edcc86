"""Revocation without an account in a real browser: the request file (.json) is opened and
the challenge signed in Chromium; only the signature and the key's fingerprint leave it."""

from __future__ import annotations

import pytest
from cryptography import x509
from support import assert_revoked_by_key_holder

from ra_console.pki import requestfile as rf

PASSWORD = "Widerruf mit Schlüssel 🔑"


@pytest.fixture(params=["rsa", "ec"])
def request_file(request, issued_with_key, tmp_path):
    """An issued certificate of erika and its request file, as the portal saved it."""
    cert, key = issued_with_key(request.param)
    path = tmp_path / "erika.json"
    path.write_text(rf.write_request_file(
        key, x509.load_pem_x509_csr(cert.csr_pem.encode()), request_id=cert.public_id,
        emails=list(cert.addresses), password=PASSWORD, iterations=10_000))
    return cert, key, path


def test_revoke_with_the_request_file(portal, request_file, revoke_page, runtime):
    cert, key, path = request_file
    page = revoke_page
    page.set_input_files("#request-file", str(path))
    page.fill("#json-password", "not the password")
    page.click("#revoke-with-file")
    assert portal.status_text("#possession-status") == "Wrong password for the request file."
    assert not [r for r in portal.sent if r.method == "POST"]  # nothing was sent

    page.fill("#json-password", PASSWORD)
    with page.expect_navigation():
        page.click("#revoke-with-file")
    assert f"The certificate {cert.serial} is revoked" in page.inner_text("#possession-done")
    post = assert_revoked_by_key_holder(runtime, cert, portal.sent, key)
    assert PASSWORD.encode() not in post.body and b'"private_key"' not in post.body
