"""Subscriber key algorithms: one name per key, the SBR §6.1.5 rule, the key usage they get.

Names are what profiles list and what the RA stores: "RSA-<bits>" and "EC-P256",
"EC-P384", "EC-P521". Every module that asks "which key is this, and is it allowed?" asks
here, so the CSR check, the profile check and the certificate builder cannot disagree.
"""

from __future__ import annotations

import re

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

# SBR §6.1.5: RSA ≥ 2048 bits with a modulus length divisible by 8, or one of these curves.
EC_CURVES = {"EC-P256": ec.SECP256R1, "EC-P384": ec.SECP384R1, "EC-P521": ec.SECP521R1}
RSA_MIN_BITS, RSA_MAX_BITS = 2048, 8192
# What a profile offers unless configured otherwise; the first is the page's default.
DEFAULT_ALGORITHMS = ("RSA-4096", "RSA-3072", "RSA-2048", "EC-P256", "EC-P384")

_RSA_NAME_RE = re.compile(r"RSA-(\d+)")


def is_allowed_name(name: object) -> bool:
    """True for a key algorithm name the Baseline Requirements allow."""
    if not isinstance(name, str):
        return False
    if name in EC_CURVES:
        return True
    match = _RSA_NAME_RE.fullmatch(name)
    bits = int(match.group(1)) if match else 0
    return RSA_MIN_BITS <= bits <= RSA_MAX_BITS and bits % 8 == 0


def algorithm_of(public_key) -> str | None:
    """The key's algorithm name ("RSA-3072", "EC-P256"), or None for any other key."""
    if isinstance(public_key, rsa.RSAPublicKey):
        return f"RSA-{public_key.key_size}"
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return next((name for name, curve in EC_CURVES.items()
                     if isinstance(public_key.curve, curve)), None)
    return None


def key_usage(public_key, *, signing_only: bool = False) -> x509.KeyUsage:
    """SBR §7.1.2.3 (e), dual use: RSA signs and transports keys; EC signs and agrees keys.
    A key that only signs (the RA's mail signer) gets digitalSignature alone."""
    is_ec = isinstance(public_key, ec.EllipticCurvePublicKey)
    return x509.KeyUsage(
        digital_signature=True, content_commitment=False,
        key_encipherment=not is_ec and not signing_only, data_encipherment=False,
        key_agreement=is_ec and not signing_only, key_cert_sign=False, crl_sign=False,
        encipher_only=False, decipher_only=False,
    )
