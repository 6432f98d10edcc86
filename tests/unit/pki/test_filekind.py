"""What a wrong upload is, named before any CSR rule (pki/filekind.py)."""

from __future__ import annotations

import base64
import json
import zlib
from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.x509.oid import NameOID

from ra_console.pki.csr import CsrError, parse_csr
from ra_console.pki.filekind import describe

PEM, DER = serialization.Encoding.PEM, serialization.Encoding.DER


def png(width: int = 400) -> bytes:
    """A real (grey) PNG image, larger than the CSR size limit when wide enough."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (len(data).to_bytes(4, "big") + kind + data
                + zlib.crc32(kind + data).to_bytes(4, "big"))
    rows = b"".join(b"\x00" + bytes(range(256)) * (width // 256 + 1) for _ in range(width))
    header = width.to_bytes(4, "big") * 2 + b"\x08\x00\x00\x00\x00"
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows, 0)) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def certificate(rsa2048_key):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test")])
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(rsa2048_key.public_key()).serial_number(1).not_valid_before(start)
            .not_valid_after(start + timedelta(days=1)).sign(rsa2048_key, hashes.SHA256()))


def test_csr_in_every_form_is_left_to_the_parser(rsa2048_key, make_csr):
    csr = make_csr(rsa2048_key)
    pem = csr.public_bytes(PEM)
    der = csr.public_bytes(DER)
    for data in (pem, pem.decode(), der, base64.b64encode(der), b"junk before\n" + pem):
        assert describe(data) is None


def test_files_that_are_not_csrs(rsa2048_key, certificate):
    key = rsa2048_key
    none, secret = serialization.NoEncryption(), serialization.BestAvailableEncryption(b"pw")
    pkcs8 = serialization.PrivateFormat.PKCS8
    cases = {
        "image": [png(8), b"\xff\xd8\xff\xe0\x00\x10JFIF", b"GIF89a\x01\x00",
                  b"RIFF\x24\x00\x00\x00WEBPVP8 "],
        "pdf": [b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"],
        "archive": [b"PK\x03\x04\x14\x00"],
        "certificate": [certificate.public_bytes(PEM), certificate.public_bytes(DER)],
        "pkcs7": [pkcs7.serialize_certificates([certificate], PEM)],
        "pkcs12": [pkcs12.serialize_key_and_certificates(b"me", key, certificate, None, secret)],
        "private_key": [key.private_bytes(PEM, pkcs8, none), key.private_bytes(DER, pkcs8, none),
                        key.private_bytes(PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                          none),
                        key.private_bytes(DER, pkcs8, secret)],
        "public_key": [key.public_key().public_bytes(
            PEM, serialization.PublicFormat.SubjectPublicKeyInfo)],
        "request_file": [json.dumps({"format": "ra-console-request", "version": 1}).encode()],
        "json": [b'{"hello": "world"}'],
        "text": ["Sehr geehrte Damen und Herren, anbei mein Antrag.".encode()],
        "binary": [b"\x00" * 100, bytes([0x80, 0x81, 0xfe])],
    }
    for kind, samples in cases.items():
        for data in samples:
            assert describe(data) == kind, (kind, data[:20])


def test_a_large_image_is_named_before_the_size_rule():
    image = png(400)
    assert len(image) > 64 * 1024
    with pytest.raises(CsrError) as err:
        parse_csr(image, max_bytes=64 * 1024)
    assert err.value.code == "not_a_csr" and err.value.params == {"kind": "image"}
