"""CSR parsing and key screening."""

from __future__ import annotations

import base64
import hashlib
import os
import random
import subprocess
import sys
from pathlib import Path

import gmpy2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ra_console.pki.csr import CsrError, CsrInfo, check_csr, parse_csr, spki_sha256
from ra_console.pki.keys import DEFAULT_ALGORITHMS

PEM = serialization.Encoding.PEM
DER = serialization.Encoding.DER


def _code(exc_info) -> str:
    return exc_info.value.code


@pytest.fixture(scope="module")
def csr_2048(rsa2048_key, make_csr):
    return make_csr(rsa2048_key)


def _fermat_weak_key() -> rsa.RSAPrivateKey:
    """RSA-2048 key whose primes are so close that Fermat factoring is instant."""
    e = 65537
    state = gmpy2.random_state(20260301)
    while True:
        p = gmpy2.next_prime(gmpy2.mpz_urandomb(state, 1024) | (3 << 1022))
        q = gmpy2.next_prime(p + (1 << 20))
        if gmpy2.gcd(e, (p - 1) * (q - 1)) == 1 and (p * q).bit_length() == 2048:
            break
    p, q = int(p), int(q)
    d = rsa.rsa_recover_private_exponent(e, p, q)
    numbers = rsa.RSAPrivateNumbers(
        p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q),
        rsa.RSAPublicNumbers(e, p * q),
    )
    return numbers.private_key()


def test_pem_csr_accepted(csr_2048, rsa2048_key):
    info = check_csr(csr_2048.public_bytes(PEM), allowed_algorithms=("RSA-2048",))
    spki = rsa2048_key.public_key().public_bytes(
        DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert isinstance(info, CsrInfo)
    assert info.key_algorithm == "RSA-2048"
    assert info.key_bits == 2048
    assert info.public_key_der == spki
    assert info.spki_sha256 == hashlib.sha256(spki).hexdigest()
    assert info.spki_sha256 == spki_sha256(rsa2048_key.public_key())
    assert info.csr_pem.startswith("-----BEGIN CERTIFICATE REQUEST-----")


def test_der_csr_accepted(csr_2048, rsa2048_key):
    info = check_csr(csr_2048.public_bytes(DER))
    assert info.spki_sha256 == spki_sha256(rsa2048_key.public_key())


@pytest.mark.parametrize(
    "variant",
    ["crlf_and_whitespace", "new_header", "str", "surrounding_text", "bare_base64"],
)
def test_pasted_pem_variants(csr_2048, variant):
    pem = csr_2048.public_bytes(PEM).decode()
    if variant == "crlf_and_whitespace":
        data = ("\r\n  " + pem.replace("\n", "\r\n") + "\r\n\r\n").encode()
    elif variant == "new_header":
        data = pem.replace("CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST").encode()
    elif variant == "str":
        data = pem
    elif variant == "surrounding_text":
        data = "Hier ist mein Antrag – bitte prüfen:\n" + pem + "\nGrüße\n"
    else:
        data = base64.encodebytes(csr_2048.public_bytes(DER)).decode()
    assert parse_csr(data).public_bytes(DER) == csr_2048.public_bytes(DER)


def test_openssl_made_csr_accepted(tmp_path, openssl):
    out = tmp_path / "req.pem"
    subprocess.run(
        [openssl, "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout",
         str(tmp_path / "key.pem"), "-subj", "/CN=Test User", "-out", str(out)],
        check=True, capture_output=True,
    )
    info = check_csr(out.read_bytes())
    assert info.key_algorithm == "RSA-2048"


def test_rsa_1024_rejected(make_csr):
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(CsrError) as err:
        check_csr(make_csr(key).public_bytes(PEM))
    assert _code(err) == "key_size_not_allowed"
    assert err.value.params == {"bits": 1024, "allowed": DEFAULT_ALGORITHMS}


def test_rsa_4096_rejected_when_only_2048_allowed(make_csr):
    key = rsa.generate_private_key(public_exponent=65537, key_size=4096)
    data = make_csr(key).public_bytes(PEM)
    with pytest.raises(CsrError) as err:
        check_csr(data, allowed_algorithms=("RSA-2048",))
    assert _code(err) == "key_size_not_allowed"
    assert err.value.params["bits"] == 4096
    assert check_csr(data).key_algorithm == "RSA-4096"


def test_exponent_3_rejected(make_csr):
    key = rsa.generate_private_key(public_exponent=3, key_size=2048)
    with pytest.raises(CsrError) as err:
        check_csr(make_csr(key).public_bytes(PEM))
    assert _code(err) == "bad_exponent"
    assert err.value.params == {"exponent": 3}


@pytest.mark.parametrize("key, name", [
    (lambda: rsa.generate_private_key(public_exponent=65537, key_size=3072), "RSA-3072"),
    (lambda: ec.generate_private_key(ec.SECP256R1()), "EC-P256"),
    (lambda: ec.generate_private_key(ec.SECP384R1()), "EC-P384"),
])
def test_rsa_3072_and_ec_keys_accepted_by_default(make_csr, key, name):
    key = key()
    info = check_csr(make_csr(key).public_bytes(PEM))
    assert info.key_algorithm == name
    assert info.spki_sha256 == spki_sha256(key.public_key())


def test_ec_key_rejected_when_the_profile_lists_only_rsa(make_csr):
    key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(CsrError) as err:
        check_csr(make_csr(key).public_bytes(PEM), allowed_algorithms=("RSA-4096",))
    assert _code(err) == "key_type_not_allowed"
    assert err.value.params == {"key_type": "EC-P256", "allowed": ("RSA-4096",)}


def test_p521_only_when_the_profile_lists_it(make_csr):
    data = make_csr(ec.generate_private_key(ec.SECP521R1())).public_bytes(PEM)
    with pytest.raises(CsrError) as err:
        check_csr(data)
    assert err.value.params["key_type"] == "EC-P521"
    assert check_csr(data, allowed_algorithms=("EC-P521",)).key_algorithm == "EC-P521"


def test_curve_outside_the_baseline_requirements_rejected(make_csr):
    key = ec.generate_private_key(ec.SECP256K1())  # Bitcoin's curve: not in SBR §6.1.5
    with pytest.raises(CsrError) as err:
        check_csr(make_csr(key).public_bytes(PEM), allowed_algorithms=("EC-P256",))
    assert _code(err) == "key_type_not_allowed"
    assert err.value.params["key_type"] == "EC (secp256k1)"


def test_tampered_csr_has_bad_signature(csr_2048):
    der = csr_2048.public_bytes(DER)
    tampered = der.replace(b"Alice Example", b"Alice Exbmple")
    assert tampered != der
    parse_csr(tampered)  # still a well-formed CSR
    with pytest.raises(CsrError) as err:
        check_csr(tampered)
    assert _code(err) == "bad_signature"


def test_fermat_weak_key_rejected(make_csr):
    key = _fermat_weak_key()
    with pytest.raises(CsrError) as err:
        check_csr(make_csr(key).public_bytes(PEM))
    assert _code(err) == "weak_key"
    assert err.value.params == {"check": "fermat"}


def _self_signed(key, now) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "not a csr")])
    return (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(now).not_valid_after(now)
        .sign(key, hashes.SHA256())
    )


@pytest.mark.parametrize(
    "data",
    [b"", "", "   \r\n", b"garbage", "hello world", b"\x30\x82\x01\x00garbage",
     b"\xff\xfe\x00", "-----BEGIN CERTIFICATE REQUEST-----\n!!!\n-----END CERTIFICATE REQUEST-----",
     "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----",
     "\ud800", None, 42],
)
def test_garbage_is_not_a_csr(data):
    with pytest.raises(CsrError) as err:
        check_csr(data)
    assert _code(err) == "not_a_csr"


def test_truncated_csr_is_not_a_csr(csr_2048):
    der = csr_2048.public_bytes(DER)
    for cut in (1, 10, len(der) // 2, len(der) - 1):
        with pytest.raises(CsrError) as err:
            parse_csr(der[:cut])
        assert _code(err) == "not_a_csr"


@pytest.mark.parametrize("encoding", [PEM, DER])
def test_certificate_is_not_a_csr(rsa2048_key, now, encoding):
    with pytest.raises(CsrError) as err:
        check_csr(_self_signed(rsa2048_key, now).public_bytes(encoding))
    assert _code(err) == "not_a_csr"


def test_oversize_rejected(csr_2048):
    pem = csr_2048.public_bytes(PEM)
    with pytest.raises(CsrError) as err:
        check_csr(pem, max_bytes=len(pem) - 1)
    assert _code(err) == "too_large"
    with pytest.raises(CsrError) as err:  # looks like a CSR, only too large
        parse_csr(b"-----BEGIN CERTIFICATE REQUEST-----\n" + b"A" * (64 * 1024 + 1))
    assert _code(err) == "too_large"
    with pytest.raises(CsrError) as err:  # what is not a CSR is said first, whatever its size
        parse_csr(b"\x00" * (64 * 1024 + 1))
    assert _code(err) == "not_a_csr" and err.value.params == {"kind": "binary"}


def test_key_screening_needs_no_network_or_downloaded_data(csr_2048, tmp_path):
    """Fresh interpreter, empty badkeys cache, sockets disabled: screening still works."""
    script = (
        "import socket, sys\n"
        "def _no_net(*a, **k): raise OSError('network used')\n"
        "socket.socket.connect = _no_net\n"
        "socket.create_connection = _no_net\n"
        "from ra_console.pki.csr import check_csr\n"
        "print(check_csr(sys.stdin.buffer.read()).key_algorithm)\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path), "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", script], input=csr_2048.public_bytes(PEM),
        capture_output=True, env=env, timeout=60, cwd=Path(__file__).resolve().parents[3],
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().strip() == "RSA-2048"
    assert list(tmp_path.iterdir()) == []


def test_mutated_csrs_only_raise_csr_error(csr_2048):
    """No library exception escapes, whatever byte is damaged."""
    der = bytearray(csr_2048.public_bytes(DER))
    rng = random.Random(1)
    for _ in range(400):
        damaged = bytearray(der)
        for _ in range(rng.randint(1, 3)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        try:
            check_csr(bytes(damaged))
        except CsrError as exc:
            assert exc.code in {"not_a_csr", "bad_signature", "key_type_not_allowed",
                                "key_size_not_allowed", "bad_exponent", "weak_key"}
