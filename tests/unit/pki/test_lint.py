"""pkilint wrapper: findings come back as plain dataclasses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from ra_console.pki.certificates import SubjectSpec, issue_certificate
from ra_console.pki.findings import Finding, is_blocking
from ra_console.pki.lint import lint_certificate, lint_crl
from ra_console.pki.profiles import profile_from_mapping

DER = serialization.Encoding.DER
MAILBOX = profile_from_mapping("functional", {"validation": "mailbox"})


@pytest.fixture(scope="module")
def mailbox_cert(issuing_ca, rsa2048_key, now, pki_base_url):
    spec = SubjectSpec(None, None, None, ("team@uni.example.org",))
    return issue_certificate(issuing_ca, rsa2048_key.public_key(), MAILBOX, spec,
                             pki_base_url=pki_base_url, now=now)


def _resign_without(cert, issuing_ca, drop, critical_san=None):
    """Copy of `cert` minus one extension type, optionally with a changed SAN criticality."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(cert.subject).issuer_name(cert.issuer).public_key(cert.public_key())
        .serial_number(cert.serial_number)
        .not_valid_before(cert.not_valid_before_utc).not_valid_after(cert.not_valid_after_utc)
    )
    for ext in cert.extensions:
        if isinstance(ext.value, drop):
            continue
        critical = ext.critical
        if critical_san is not None and isinstance(ext.value, x509.SubjectAlternativeName):
            critical = critical_san
        builder = builder.add_extension(ext.value, critical)
    return builder.sign(issuing_ca.private_key, hashes.SHA256())


def test_clean_certificate(mailbox_cert):
    findings = lint_certificate(mailbox_cert.public_bytes(DER))
    assert findings == [Finding("INFO", "pkix.subject_key_identifier_method_1_identified", "")]
    assert not is_blocking(findings)


def test_non_critical_san_with_empty_subject_is_an_error(mailbox_cert, issuing_ca):
    bad = _resign_without(mailbox_cert, issuing_ca, (), critical_san=False)
    findings = lint_certificate(bad.public_bytes(DER))
    assert is_blocking(findings)
    assert any(f.severity == "ERROR" for f in findings)


def test_missing_policy_oid_cannot_be_linted(mailbox_cert, issuing_ca):
    bad = _resign_without(mailbox_cert, issuing_ca, x509.CertificatePolicies)
    [finding] = lint_certificate(bad.public_bytes(DER))
    assert finding.severity == "FATAL" and finding.code == "ra.no_smime_policy_oid"


@pytest.mark.parametrize("data", [b"", b"garbage", b"\x30\x03\x02\x01\x01"])
def test_undecodable_input(data):
    [finding] = lint_certificate(data)
    assert finding.severity == "FATAL"
    [finding] = lint_crl(data)
    assert finding.severity == "FATAL"


def _crl(issuing_ca, now, reason=None, days=7):
    entry = x509.RevokedCertificateBuilder().serial_number(5).revocation_date(now)
    if reason is not None:
        entry = entry.add_extension(x509.CRLReason(reason), False)
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuing_ca.certificate.subject)
        .last_update(now).next_update(now + timedelta(days=days))
        .add_extension(x509.CRLNumber(1), False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuing_ca.private_key.public_key()), False)
        .add_revoked_certificate(entry.build())
        .sign(issuing_ca.private_key, hashes.SHA256())
    )
    return crl.public_bytes(DER)


def test_crl_checks(issuing_ca, now):
    assert not is_blocking(lint_crl(_crl(issuing_ca, now, x509.ReasonFlags.superseded)))
    unspecified = lint_crl(_crl(issuing_ca, now, x509.ReasonFlags.unspecified))
    assert "cabf.crl_prohibited_reason_code" in {f.code for f in unspecified}
    too_long = lint_crl(_crl(issuing_ca, now, days=11))
    assert "cabf.crl_invalid_validity_period" in {f.code for f in too_long}
    assert not is_blocking(lint_crl(_crl(issuing_ca, now, days=300), authority=True))
