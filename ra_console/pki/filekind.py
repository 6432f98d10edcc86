"""What an uploaded file is, when it is not a certificate request: so that a person who
chose the wrong file is told what they chose (an image, a certificate, a private key …)
instead of a rule about CSRs that does not apply to it. Pure: bytes in, a kind out."""

from __future__ import annotations

import json
import re

from cryptography import x509
from cryptography.hazmat.primitives import serialization

KINDS = ("image", "pdf", "archive", "certificate", "crl", "pkcs7", "pkcs12", "private_key",
         "public_key", "request_file", "json", "text", "binary")
# Leading bytes of common formats (the files' published signatures).
MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image"), (b"\xff\xd8\xff", "image"), (b"GIF87a", "image"),
    (b"GIF89a", "image"), (b"BM", "image"), (b"II*\x00", "image"), (b"MM\x00*", "image"),
    (b"%PDF-", "pdf"), (b"PK\x03\x04", "archive"), (b"\x1f\x8b", "archive"),
)
_WEBP = re.compile(rb"RIFF....WEBP", re.S)
_PEM_LABEL = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----")
PEM_KINDS = {
    "CERTIFICATE": "certificate", "TRUSTED CERTIFICATE": "certificate",
    "X509 CRL": "crl", "PKCS7": "pkcs7", "CMS": "pkcs7",
    "PRIVATE KEY": "private_key", "ENCRYPTED PRIVATE KEY": "private_key",
    "RSA PRIVATE KEY": "private_key", "EC PRIVATE KEY": "private_key",
    "DSA PRIVATE KEY": "private_key", "OPENSSH PRIVATE KEY": "private_key",
    "PUBLIC KEY": "public_key", "RSA PUBLIC KEY": "public_key",
}
CSR_LABELS = ("CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST")
# PKCS#12 (RFC 7292): SEQUENCE { INTEGER 3, ContentInfo { OID pkcs7-data … } }
_PKCS12_VERSION = b"\x02\x01\x03\x30"
_PKCS7_DATA_OID = b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x01"


def describe(data: bytes | str) -> str | None:
    """The kind (one of KINDS) of a file that is certainly not a CSR, or None when it may
    be one (the CSR parser decides)."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    for signature, kind in MAGIC:
        if raw.startswith(signature):
            return kind
    if _WEBP.match(raw[:12]):
        return "image"
    if raw[:1] == b"\x30":
        return _der_kind(raw)
    text = raw.decode("latin-1")
    labels = _PEM_LABEL.findall(text)
    if any(label in CSR_LABELS for label in labels):
        return None
    for label in labels:
        if label in PEM_KINDS:
            return PEM_KINDS[label]
    if text.lstrip().startswith("{"):
        return _json_kind(raw)
    if re.fullmatch(r"[A-Za-z0-9+/=\s]*", text):
        return None  # pasted base64 without armour lines: may be a CSR
    return "text" if _is_text(raw) else "binary"


def _der_kind(raw: bytes) -> str | None:
    head = raw[:40]
    if _PKCS12_VERSION in head[:8] and _PKCS7_DATA_OID in head:
        return "pkcs12"
    try:
        x509.load_der_x509_certificate(raw)
        return "certificate"
    except ValueError:
        pass
    try:
        serialization.load_der_private_key(raw, password=None)
        return "private_key"
    except TypeError:  # an encrypted private key: it asks for a password
        return "private_key"
    except Exception:  # noqa: BLE001 - the library raises several types: not a key
        return None


def _json_kind(raw: bytes) -> str:
    try:
        value = json.loads(raw)
    except ValueError:
        return "text"
    if isinstance(value, dict) and str(value.get("format", "")).startswith("ra-console"):
        return "request_file"
    return "json"


def _is_text(raw: bytes) -> bool:
    """UTF-8 without control characters other than tabs and line breaks."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text)
