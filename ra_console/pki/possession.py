"""Proof of key possession for revocation without an account.

The page shows a challenge; whoever holds the certificate's private key signs it (in the
browser from the request file, or with `openssl dgst -sha256 -sign`), and the signature is
checked against the certificate's public key. The challenge is an HMAC of a time stamp and
a random nonce under the app's secret: it cannot be forged, and it expires. It needs no
table: a signature over it can only revoke the certificate of that key, once (afterwards
the certificate is revoked and the request is refused).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

PREFIX = "ra-console-revoke"
VALID_SECONDS = 30 * 60
MAX_SIGNATURE_BYTES = 1024  # RSA-8192 signs 1024 bytes; ECDSA P-521 about 139


class PossessionError(Exception):
    """The challenge is forged or too old: `code` names it for the page."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _mac(secret: str, body: str) -> str:
    return hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()[:32]


def new_challenge(secret: str, now: datetime) -> str:
    """A fresh challenge: 'ra-console-revoke:<unix time>:<nonce>:<mac>'."""
    body = f"{PREFIX}:{int(now.timestamp())}:{secrets.token_hex(16)}"
    return f"{body}:{_mac(secret, body)}"


def check_challenge(secret: str, challenge: str, now: datetime) -> None:
    """Raise PossessionError unless the challenge is ours and younger than VALID_SECONDS."""
    body, _, mac = (challenge or "").strip().rpartition(":")
    parts = body.split(":")
    if (len(parts) != 3 or parts[0] != PREFIX or not parts[1].isdigit()
            or not hmac.compare_digest(mac, _mac(secret, body))):
        raise PossessionError("challenge_invalid")
    age = now.timestamp() - int(parts[1])
    if not 0 <= age <= VALID_SECONDS:
        raise PossessionError("challenge_expired")


def signature_is_valid(public_key, signature: bytes, challenge: str) -> bool:
    """SHA-256 signature (RSA PKCS#1 v1.5 or DER ECDSA) over the challenge; a trailing
    newline, as `echo` writes it into the file, is accepted too."""
    if not signature or len(signature) > MAX_SIGNATURE_BYTES:
        return False
    text = challenge.strip()
    for data in (text.encode(), f"{text}\n".encode()):
        try:
            if isinstance(public_key, rsa.RSAPublicKey):
                public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
            elif isinstance(public_key, ec.EllipticCurvePublicKey):
                public_key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
            else:
                return False
        except (InvalidSignature, ValueError):
            continue
        return True
    return False
