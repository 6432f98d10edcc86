"""Revocation without an account with a .p12 file, in a real browser: Chromium opens the
file with its password (made by the openssl binary, in OpenSSL 3's default encryption and
in the older Triple-DES one), signs the page's challenge, and posts only the signature and
the key's fingerprint; the key, the file and the password never leave it (captured
traffic)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlmodel import select
from support import assert_key_never_sent, missing

from ra_console.models import AuditEvent, Certificate

PASSWORD = "Widerruf mit .p12 🔑"
VARIANTS = {"openssl3-default": [],  # PBES2: PBKDF2-HMAC-SHA256, AES-256-CBC
            "triple-des": ["-keypbe", "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-3DES",
                           "-macalg", "sha1"]}


@pytest.fixture(params=[("rsa", "openssl3-default"), ("ec", "triple-des"),
                        ("rsa", "triple-des")], ids=lambda p: "-".join(p))
def p12_file(request, issue_directly, new_csr, runtime, tmp_path):
    if shutil.which("openssl") is None:
        missing("openssl")
    kind, variant = request.param
    key, csr_pem = new_csr(curve=ec.SECP256R1()) if kind == "ec" else new_csr()
    cert_id = issue_directly(csr=csr_pem)
    with runtime.session() as s:
        cert = s.get(Certificate, cert_id)
    (tmp_path / "my.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    (tmp_path / "my.crt").write_text(cert.cert_pem)
    subprocess.run(["openssl", "pkcs12", "-export", "-inkey", "my.key", "-in", "my.crt",
                    "-out", "my.p12", "-passout", "env:P12_PASSWORD", *VARIANTS[variant]],
                   cwd=tmp_path, check=True, env={"PATH": "/usr/bin:/bin",
                                                   "P12_PASSWORD": PASSWORD})
    return cert, key, tmp_path / "my.p12"


def test_revoke_with_the_p12_file(portal, p12_file, runtime):
    cert, key, path = p12_file
    page = portal.page
    page.goto(f"{portal.base}/pki/revoke")
    page.set_input_files("#p12-file", str(path))
    page.fill("#p12-password", "not the password")
    page.click("#revoke-with-p12")
    assert portal.status_text("#p12-status") == "Wrong password for the .p12 file."
    assert not [r for r in portal.sent if r.method == "POST"]  # nothing was sent

    page.fill("#p12-password", PASSWORD)
    with page.expect_navigation():
        page.click("#revoke-with-p12")
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
    assert PASSWORD.encode() not in post.body and path.read_bytes()[:64] not in post.body


def test_a_file_that_is_no_p12_is_named(portal, tmp_path):
    junk = tmp_path / "junk.p12"
    junk.write_bytes(b"\x30\x03\x02\x01\x03not a pfx")
    page = portal.page
    page.goto(f"{portal.base}/pki/revoke")
    page.set_input_files("#p12-file", str(junk))
    page.fill("#p12-password", "x")
    page.click("#revoke-with-p12")
    assert portal.status_text("#p12-status") == "This is not a .p12 file, or it is damaged."
    assert not [r for r in portal.sent if r.method == "POST"]
