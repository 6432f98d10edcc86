"""PKCS#7 / PEM bundles, chain verification and key matching."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import ExtendedKeyUsageOID

from ra_console.pki.bundles import (
    certificate_matches_public_key,
    pem_chain,
    pkcs7_der,
    pkcs7_pem,
    verify_chain,
)
from ra_console.pki.certificates import SubjectSpec, issue_certificate
from ra_console.pki.localca import chain_for
from ra_console.pki.profiles import profile_from_mapping

MAILBOX = profile_from_mapping("functional", {"validation": "mailbox", "validity_days": 365})
SPEC = SubjectSpec(None, None, None, ("postmaster@uni.example.org",))


@pytest.fixture(scope="module")
def leaf(issuing_ca, rsa2048_key, now, pki_base_url):
    return issue_certificate(issuing_ca, rsa2048_key.public_key(), MAILBOX, SPEC,
                             pki_base_url=pki_base_url, now=now)


def _ders(certs) -> set[bytes]:
    return {cert.public_bytes(serialization.Encoding.DER) for cert in certs}


def _spki(key) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def test_pkcs7_round_trip(leaf, issuing_ca):
    certs = [leaf, *chain_for(issuing_ca)]
    # certificates sit in a DER SET OF, which is sorted: order is not preserved
    assert _ders(pkcs7.load_der_pkcs7_certificates(pkcs7_der(certs))) == _ders(certs)
    pem = pkcs7_pem(certs)
    assert pem.startswith(b"-----BEGIN PKCS7-----")
    assert _ders(pkcs7.load_pem_pkcs7_certificates(pem)) == _ders(certs)


def test_pem_chain(leaf, issuing_ca):
    certs = [leaf, *chain_for(issuing_ca)]
    assert x509.load_pem_x509_certificates(pem_chain(certs)) == certs


def test_verify_chain(leaf, issuing_ca, now):
    verify_chain(leaf, [issuing_ca.certificate], issuing_ca.root_certificate, now)
    verify_chain(leaf, [issuing_ca.certificate], issuing_ca.root_certificate,
                 now + timedelta(days=364))


@pytest.mark.parametrize("case", ["missing_intermediate", "expired", "not_yet_valid"])
def test_verify_chain_failures(leaf, issuing_ca, now, case):
    intermediates = [] if case == "missing_intermediate" else [issuing_ca.certificate]
    when = {"expired": now + timedelta(days=366),
            "not_yet_valid": now - timedelta(seconds=1)}.get(case, now)
    with pytest.raises(ValueError, match="does not verify"):
        verify_chain(leaf, intermediates, issuing_ca.root_certificate, when)


def test_verify_chain_wrong_root(leaf, issuing_ca, tmp_path, now, pki_base_url):
    from ra_console.pki.localca import init_ca, load_ca

    init_ca(tmp_path / "other", organization="Other", country="DE",
            pki_base_url=pki_base_url, now=now, key_bits=2048)
    other = load_ca(tmp_path / "other")
    with pytest.raises(ValueError):
        verify_chain(leaf, [issuing_ca.certificate], other.root_certificate, now)


def test_verify_chain_rejects_leaf_without_email_protection(issuing_ca, rsa2048_key, now):
    # a TLS client certificate from the same CA must not pass as S/MIME
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(issuing_ca.certificate.subject)
        .public_key(rsa2048_key.public_key())
        .serial_number(12345)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False)
        .add_extension(x509.SubjectAlternativeName(
            [x509.RFC822Name("x@uni.example.org")]), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuing_ca.private_key.public_key()), False)
    )
    cert = builder.sign(issuing_ca.private_key, hashes.SHA256())
    with pytest.raises(ValueError, match="emailProtection"):
        verify_chain(cert, [issuing_ca.certificate], issuing_ca.root_certificate, now)


def test_certificate_matches_public_key(leaf, rsa2048_key, rsa2048_key_b):
    assert certificate_matches_public_key(leaf, _spki(rsa2048_key))
    assert not certificate_matches_public_key(leaf, _spki(rsa2048_key_b))
    assert not certificate_matches_public_key(leaf, b"")
