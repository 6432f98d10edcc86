"""Certificate bundles (PKCS#7, PEM chains) and chain / key checks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509 import verification
from cryptography.x509.oid import ExtendedKeyUsageOID

_DER = serialization.Encoding.DER
_PEM = serialization.Encoding.PEM


def pkcs7_der(certs: Sequence[x509.Certificate]) -> bytes:
    """Degenerate (certs-only) PKCS#7 in DER, the usual .p7b."""
    return pkcs7.serialize_certificates(list(certs), _DER)


def pkcs7_pem(certs: Sequence[x509.Certificate]) -> bytes:
    return pkcs7.serialize_certificates(list(certs), _PEM)


def pem_chain(certs: Sequence[x509.Certificate]) -> bytes:
    """Concatenated PEM certificates, leaf first."""
    return b"".join(cert.public_bytes(_PEM) for cert in certs)


def _email_protection(_policy, _cert, eku: x509.ExtendedKeyUsage | None) -> None:
    # A CA without EKU is unrestricted; with one, it must allow S/MIME.
    if eku is not None and ExtendedKeyUsageOID.EMAIL_PROTECTION not in eku:
        raise ValueError("extendedKeyUsage does not permit emailProtection")


def _leaf_email_protection(_policy, _cert, eku: x509.ExtendedKeyUsage) -> None:
    if ExtendedKeyUsageOID.EMAIL_PROTECTION not in eku:
        raise ValueError("leaf extendedKeyUsage lacks emailProtection")


def _policies():
    # The Web PKI defaults insist on serverAuth/clientAuth EKUs; swap in S/MIME's.
    critical = verification.Criticality.AGNOSTIC
    ca_policy = verification.ExtensionPolicy.webpki_defaults_ca().may_be_present(
        x509.ExtendedKeyUsage, critical, _email_protection
    )
    ee_policy = verification.ExtensionPolicy.webpki_defaults_ee().require_present(
        x509.ExtendedKeyUsage, critical, _leaf_email_protection
    )
    return ca_policy, ee_policy


def verify_chain(
    leaf: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    root: x509.Certificate,
    now: datetime,
) -> None:
    """Verify leaf → intermediates → root at `now` for S/MIME; raise ValueError if not."""
    ca_policy, ee_policy = _policies()
    verifier = (
        verification.PolicyBuilder()
        .store(verification.Store([root]))
        .time(now)
        .extension_policies(ca_policy=ca_policy, ee_policy=ee_policy)
        .build_client_verifier()
    )
    try:
        verifier.verify(leaf, list(intermediates))
    except verification.VerificationError as exc:
        raise ValueError(f"certificate chain does not verify: {exc}") from None


def certificate_matches_public_key(cert: x509.Certificate, public_key_der: bytes) -> bool:
    """True if the certificate certifies exactly this SubjectPublicKeyInfo (DER)."""
    spki = cert.public_key().public_bytes(_DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return spki == bytes(public_key_der)
