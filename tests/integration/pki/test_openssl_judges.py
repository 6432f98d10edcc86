"""Independent judges: the openssl binary and pkilint (CLI and in-process)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ra_console.pki.findings import is_blocking
from ra_console.pki.lint import lint_certificate, lint_crl

LINT_CLI = Path(sys.executable).with_name("lint_cabf_smime_cert")
BLOCKING_MARKERS = ("(FATAL)", "(ERROR)", "(WARNING)")


def _run(*args, check=True) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True,
                          check=check, timeout=120)


def _verify(openssl, issued, leaf: str, *extra):
    ca = issued.directory
    return _run(openssl, "verify", *extra, "-CAfile", ca / "root.crt",
                "-untrusted", ca / "issuing.crt", issued.out / leaf, check=False)


LEAVES = ["person.pem", "functional.pem", "ec_person.pem", "ec_functional.pem",
          "rsa3072_person.pem"]


# OpenSSL's "smimeencrypt" purpose demands keyEncipherment (RSA key transport); an EC key
# agrees keys instead (RFC 8813 forbids keyEncipherment for it): the cms round trip below
# proves that encryption to the EC certificates works.
@pytest.mark.parametrize(("leaf", "purpose"), [
    (leaf, purpose) for leaf in LEAVES for purpose in (None, "smimesign", "smimeencrypt")
    if not (leaf.startswith("ec_") and purpose == "smimeencrypt")])
def test_openssl_verify(openssl, issued, leaf, purpose):
    extra = ("-purpose", purpose) if purpose else ()
    result = _verify(openssl, issued, leaf, *extra)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith(": OK")


def test_openssl_verify_fails_without_intermediate(openssl, issued):
    result = _run(openssl, "verify", "-CAfile", issued.directory / "root.crt",
                  issued.out / "person.pem", check=False)
    assert result.returncode != 0


def test_openssl_crl_check(openssl, issued, tmp_path):
    crls = tmp_path / "crls.pem"
    pems = [_run(openssl, "crl", "-inform", "DER", "-in", issued.directory / name).stdout
            for name in ("issuing.crl", "root.crl")]
    crls.write_text("".join(pems))
    good = _verify(openssl, issued, "functional.pem", "-crl_check_all", "-CRLfile", crls)
    assert good.returncode == 0, good.stdout + good.stderr
    bad = _verify(openssl, issued, "revoked.pem", "-crl_check_all", "-CRLfile", crls)
    assert bad.returncode != 0
    assert "certificate revoked" in bad.stdout + bad.stderr


def test_openssl_parses_crl(openssl, issued):
    text = _run(openssl, "crl", "-inform", "DER", "-in", issued.directory / "issuing.crl",
                "-noout", "-text").stdout
    assert "X509v3 CRL Number" in text
    assert "X509v3 Authority Key Identifier" in text
    assert f"{issued.revoked.serial_number:X}" in text
    assert "Cessation Of Operation" in text
    assert "Unspecified" not in text
    root = _run(openssl, "crl", "-inform", "DER", "-in", issued.directory / "root.crl",
                "-noout", "-text").stdout
    assert "No Revoked Certificates" in root


@pytest.mark.parametrize(("name", "inform"), [("person.p7b", "DER"), ("person-pem.p7b", "PEM")])
def test_openssl_pkcs7_print_certs(openssl, issued, name, inform):
    out = _run(openssl, "pkcs7", "-inform", inform, "-in", issued.out / name,
               "-print_certs", "-noout").stdout
    subjects = [line for line in out.splitlines() if line.startswith("subject=")]
    assert len(subjects) == 3
    assert any("Anna-Lena" in s for s in subjects)
    assert any("Root CA" in s for s in subjects)
    assert any("S/MIME CA" in s for s in subjects)


@pytest.mark.parametrize(("leaf", "kind"), [("person.pem", "SPONSORED-STRICT"),
                                            ("functional.pem", "MAILBOX-STRICT"),
                                            ("ec_person.pem", "SPONSORED-STRICT"),
                                            ("ec_functional.pem", "MAILBOX-STRICT"),
                                            ("rsa3072_person.pem", "SPONSORED-STRICT")])
def test_pkilint_cli_clean(issued, leaf, kind):
    assert LINT_CLI.exists(), f"pkilint CLI missing at {LINT_CLI}"
    result = _run(LINT_CLI, "lint", "-d", "-o", issued.out / leaf, check=False)
    report = result.stdout
    assert kind in result.stderr
    assert not any(m in report for m in BLOCKING_MARKERS), report
    # exit status counts findings down to the threshold: none at WARNING or above
    strict = _run(LINT_CLI, "lint", "-d", "-s", "WARNING", issued.out / leaf, check=False)
    assert strict.returncode == 0, strict.stdout


@pytest.mark.parametrize("attr", ["person", "functional", "revoked", "ec_person",
                                  "ec_functional", "rsa3072_person"])
def test_pkilint_in_process_clean(issued, attr):
    cert = getattr(issued, attr)
    findings = lint_certificate(cert.public_bytes(serialization.Encoding.DER))
    assert not is_blocking(findings), findings
    assert {f.code for f in findings} <= {"pkix.subject_key_identifier_method_1_identified"}


@pytest.mark.parametrize(("name", "authority"), [("issuing.crl", False), ("root.crl", True)])
def test_pkilint_crl_clean(issued, name, authority):
    findings = lint_crl((issued.directory / name).read_bytes(), authority=authority)
    assert not is_blocking(findings), findings


@pytest.mark.parametrize("label", ["ec_person", "ec_functional"])
def test_ec_key_usage_is_signing_and_key_agreement(issued, label):
    usage = getattr(issued, label).extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.digital_signature and usage.value.key_agreement
    assert not usage.value.key_encipherment and not usage.value.content_commitment


@pytest.mark.parametrize("label", ["ec_person", "ec_functional", "rsa3072_person"])
def test_smime_round_trip_with_openssl_cms(openssl, issued, label, tmp_path):
    """Sign → verify to the root, encrypt → decrypt (ECDH key agreement for the EC keys)."""
    out, ca = issued.out, issued.directory
    mail = tmp_path / "mail.txt"
    mail.write_text("Content-Type: text/plain\r\n\r\nGrüße mit elliptischen Kurven\r\n")
    _run(openssl, "cms", "-sign", "-in", mail, "-signer", out / f"{label}.pem",
         "-inkey", out / f"{label}.key", "-certfile", ca / "issuing.crt",
         "-out", tmp_path / "signed.eml")
    verified = _run(openssl, "cms", "-verify", "-in", tmp_path / "signed.eml",
                    "-CAfile", ca / "root.crt", "-purpose", "smimesign")
    assert "elliptischen Kurven" in verified.stdout
    _run(openssl, "cms", "-encrypt", "-aes256", "-in", mail, "-out", tmp_path / "enc.eml",
         out / f"{label}.pem")
    info = _run(openssl, "cms", "-cmsout", "-print", "-in", tmp_path / "enc.eml").stdout
    kind = "d.kari" if label.startswith("ec_") else "d.ktri"  # key agreement vs. transport
    assert kind in info
    decrypted = _run(openssl, "cms", "-decrypt", "-in", tmp_path / "enc.eml",
                     "-recip", out / f"{label}.pem", "-inkey", out / f"{label}.key")
    assert "elliptischen Kurven" in decrypted.stdout
