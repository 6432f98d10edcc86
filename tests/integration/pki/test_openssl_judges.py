"""Independent judges: the openssl binary and pkilint (CLI and in-process)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from ra_console.pki.lint import is_blocking, lint_certificate, lint_crl

LINT_CLI = Path(sys.executable).with_name("lint_cabf_smime_cert")
BLOCKING_MARKERS = ("(FATAL)", "(ERROR)", "(WARNING)")


def _run(*args, check=True) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True,
                          check=check, timeout=120)


def _verify(openssl, issued, leaf: str, *extra):
    ca = issued.directory
    return _run(openssl, "verify", *extra, "-CAfile", ca / "root.crt",
                "-untrusted", ca / "issuing.crt", issued.out / leaf, check=False)


@pytest.mark.parametrize("leaf", ["person.pem", "functional.pem"])
@pytest.mark.parametrize("purpose", [None, "smimesign", "smimeencrypt"])
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
                                            ("functional.pem", "MAILBOX-STRICT")])
def test_pkilint_cli_clean(issued, leaf, kind):
    assert LINT_CLI.exists(), f"pkilint CLI missing at {LINT_CLI}"
    result = _run(LINT_CLI, "lint", "-d", "-o", issued.out / leaf, check=False)
    report = result.stdout
    assert kind in result.stderr
    assert not any(m in report for m in BLOCKING_MARKERS), report
    # exit status counts findings down to the threshold: none at WARNING or above
    strict = _run(LINT_CLI, "lint", "-d", "-s", "WARNING", issued.out / leaf, check=False)
    assert strict.returncode == 0, strict.stdout


@pytest.mark.parametrize("attr", ["person", "functional", "revoked"])
def test_pkilint_in_process_clean(issued, attr):
    cert = getattr(issued, attr)
    findings = lint_certificate(cert.public_bytes(serialization.Encoding.DER))
    assert not is_blocking(findings), findings
    assert {f.code for f in findings} <= {"pkix.subject_key_identifier_method_1_identified"}


@pytest.mark.parametrize(("name", "authority"), [("issuing.crl", False), ("root.crl", True)])
def test_pkilint_crl_clean(issued, name, authority):
    findings = lint_crl((issued.directory / name).read_bytes(), authority=authority)
    assert not is_blocking(findings), findings
