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
from support import assert_revoked_by_key_holder, missing

PASSWORD = "Widerruf mit .p12 🔑"
VARIANTS = {"openssl3-default": [],  # PBES2: PBKDF2-HMAC-SHA256, AES-256-CBC
            "triple-des": ["-keypbe", "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-3DES",
                           "-macalg", "sha1"]}


@pytest.fixture(params=[("rsa", "openssl3-default"), ("ec", "triple-des"),
                        ("rsa", "triple-des")], ids=lambda p: "-".join(p))
def p12_file(request, issued_with_key, tmp_path):
    if shutil.which("openssl") is None:
        missing("openssl")
    kind, variant = request.param
    cert, key = issued_with_key(kind)
    (tmp_path / "my.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    (tmp_path / "my.crt").write_text(cert.cert_pem)
    subprocess.run(["openssl", "pkcs12", "-export", "-inkey", "my.key", "-in", "my.crt",
                    "-out", "my.p12", "-passout", "env:P12_PASSWORD", *VARIANTS[variant]],
                   cwd=tmp_path, check=True, env={"PATH": "/usr/bin:/bin",
                                                   "P12_PASSWORD": PASSWORD})
    return cert, key, tmp_path / "my.p12"


def test_revoke_with_the_p12_file(portal, p12_file, revoke_page, runtime):
    cert, key, path = p12_file
    page = revoke_page
    page.set_input_files("#p12-file", str(path))
    page.fill("#p12-password", "not the password")
    page.click("#revoke-with-p12")
    assert portal.status_text("#p12-status") == "Wrong password for the .p12 file."
    assert not [r for r in portal.sent if r.method == "POST"]  # nothing was sent

    page.fill("#p12-password", PASSWORD)
    with page.expect_navigation():
        page.click("#revoke-with-p12")
    assert f"The certificate {cert.serial} is revoked" in page.inner_text("#possession-done")
    post = assert_revoked_by_key_holder(runtime, cert, portal.sent, key)
    assert PASSWORD.encode() not in post.body and path.read_bytes()[:64] not in post.body


def test_a_file_that_is_no_p12_is_named(portal, revoke_page, tmp_path):
    junk = tmp_path / "junk.p12"
    junk.write_bytes(b"\x30\x03\x02\x01\x03not a pfx")
    page = revoke_page
    page.set_input_files("#p12-file", str(junk))
    page.fill("#p12-password", "x")
    page.click("#revoke-with-p12")
    assert portal.status_text("#p12-status") == "This is not a .p12 file, or it is damaged."
    assert not [r for r in portal.sent if r.method == "POST"]
