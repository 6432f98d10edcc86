"""The challenge and signature check behind revocation by key possession."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding

from ra_console.pki.possession import (
    VALID_SECONDS,
    PossessionError,
    check_challenge,
    new_challenge,
    signature_is_valid,
)

SECRET = "s3cret"


def test_challenge_is_ours_and_young(now):
    challenge = new_challenge(SECRET, now)
    check_challenge(SECRET, challenge, now + timedelta(seconds=VALID_SECONDS))
    assert new_challenge(SECRET, now) != challenge  # a fresh nonce each time
    for when, code in ((now + timedelta(seconds=VALID_SECONDS + 1), "challenge_expired"),
                       (now - timedelta(seconds=5), "challenge_expired")):
        with pytest.raises(PossessionError) as refused:
            check_challenge(SECRET, challenge, when)
        assert refused.value.code == code
    for forged in (challenge.replace(":", ";", 1), challenge[:-2] + "zz", "", "a:b:c:d"):
        with pytest.raises(PossessionError) as refused:
            check_challenge(SECRET, forged, now)
        assert refused.value.code == "challenge_invalid"
    with pytest.raises(PossessionError):
        check_challenge("another secret", challenge, now)


def test_signatures_of_rsa_and_ec_keys_also_over_a_trailing_newline(rsa2048_key, now):
    challenge = new_challenge(SECRET, now)
    ec_key = ec.generate_private_key(ec.SECP384R1())
    for data in (challenge.encode(), f"{challenge}\n".encode()):  # printf, or echo
        rsa_sig = rsa2048_key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        ec_sig = ec_key.sign(data, ec.ECDSA(hashes.SHA256()))
        assert signature_is_valid(rsa2048_key.public_key(), rsa_sig, challenge)
        assert signature_is_valid(ec_key.public_key(), ec_sig, challenge)
        assert not signature_is_valid(ec_key.public_key(), rsa_sig, challenge)
        assert not signature_is_valid(rsa2048_key.public_key(), rsa_sig, challenge + "x")
    assert not signature_is_valid(ec_key.public_key(), b"", challenge)
    assert not signature_is_valid(ec_key.public_key(), b"\x30" * 2000, challenge)
    other = ed25519.Ed25519PrivateKey.generate()
    assert not signature_is_valid(other.public_key(), other.sign(challenge.encode()), challenge)
