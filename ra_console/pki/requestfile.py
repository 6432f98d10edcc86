"""The `.json` request file (key pair born in the browser) and the PKCS#12 built from it.

Pure functions, no I/O. The format is documented in docs/request-file.md; the browser
writes it (ra_console/static/js/requestfile.js), `write_request_file` writes the same for
tests and tools. The private key is a standard PEM "ENCRYPTED PRIVATE KEY": PBES2 with
PBKDF2-HMAC-SHA256 (600 000 iterations, 16-byte salt) and AES-256-CBC, password as UTF-8,
strict DER — it opens with `openssl pkey` as well as here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

from cryptography import x509
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from ra_console.pki import _der as der
from ra_console.pki.keys import algorithm_of

FORMAT = "ra-console-request"
VERSION = 1
KDF_ITERATIONS = 600_000
SALT_BYTES = 16
MAX_ITERATIONS = 10_000_000  # read cap: a file must not make us (or the browser) hang
MAX_FILE_BYTES = 256 * 1024
P12_ITERATIONS = 2048  # .NET refuses > 600 000, Java > 200 000 (PKI-NOTES)
PROFILES = ("compatible", "modern")

OID_PBES2 = "1.2.840.113549.1.5.13"
OID_PBKDF2 = "1.2.840.113549.1.5.12"
OID_HMAC_SHA256 = "1.2.840.113549.2.9"
OID_AES256_CBC = "2.16.840.1.101.3.4.1.42"
_PEM_KEY_RE = re.compile(r"-----BEGIN ENCRYPTED PRIVATE KEY-----([A-Za-z0-9+/=\s]+)"
                         r"-----END ENCRYPTED PRIVATE KEY-----")
_FIELDS = ("request_id", "key_algorithm", "spki_sha256", "csr", "private_key", "created")

# English texts for the command line; the portal shows the same codes translated
# (ra_console/web/request_messages.py, P12_MESSAGES).
MESSAGES = {
    "not_a_request_file": "This is not a request file (.json) of this portal.",
    "damaged": "The request file is damaged: {detail}.",
    "unsupported_version": "The request file has format version {version}; this program "
                           "reads version 1.",
    "unsupported_encryption": "The private key in the request file is encrypted with a "
                              "method this program does not read ({detail}).",
    "too_many_iterations": "The request file asks for {iterations} key derivation iterations; "
                           "at most {max} are accepted.",
    "wrong_password": "Wrong password for the request file.",
    "key_mismatch": "The request file belongs to another request: its key does not match "
                    "the certificate.",
    "not_a_certificate": "No certificate found in the certificate file (PEM expected).",
    "no_certificate": "{file}: this request file belongs to another request: no certificate "
                      "given has its key (fingerprint {fingerprint}). Give the certificate "
                      "issued for it with --cert, or leave the file out.",
    "empty_password": "The password must not be empty.",
    "unknown_profile": "Unknown PKCS#12 profile {profile!r} (use compatible or modern).",
}


class RequestFileError(Exception):
    """A request file or certificate cannot be used; `code` + `params` name the reason."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code, self.params = code, params

    def __str__(self) -> str:
        return MESSAGES[self.code].format(**self.params)


@dataclass(frozen=True)
class RequestFile:
    """A parsed, consistent request file (the key still encrypted)."""

    request_id: str
    emails: tuple[str, ...]
    key_algorithm: str
    spki_sha256: str
    csr: x509.CertificateSigningRequest
    private_key_pem: str = field(repr=False)
    iterations: int
    created: str


def spki_sha256_of(public_key) -> str:
    """SHA-256 of the DER SubjectPublicKeyInfo, lower-case hex (the request file's field)."""
    return _spki_sha256(public_key)


def _spki_sha256(public_key) -> str:
    return hashlib.sha256(public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).hexdigest()


def _pem_body(pem: str) -> bytes:
    match = _PEM_KEY_RE.search(pem)
    if not match:
        raise RequestFileError("damaged", detail="no ENCRYPTED PRIVATE KEY")
    try:
        return base64.b64decode("".join(match.group(1).split()), validate=True)
    except (binascii.Error, ValueError):
        raise RequestFileError("damaged", detail="the private key is not valid base64") from None


def encryption_iterations(encrypted_der: bytes) -> int:
    """Check the EncryptedPrivateKeyInfo is PBES2/PBKDF2/AES-256-CBC; return its iterations."""
    try:
        outer = der.children(der.single(encrypted_der, der.SEQUENCE))
        if len(outer) != 2:
            raise der.DerError("EncryptedPrivateKeyInfo has two parts")
        algorithm = der.children(der.expect(outer[0], der.SEQUENCE))
        der.expect(outer[1], der.OCTET_STRING)
        scheme = der.decode_oid(der.expect(algorithm[0], der.OID))
        if scheme != OID_PBES2:
            raise RequestFileError("unsupported_encryption", detail=scheme)
        kdf, cipher = der.children(der.expect(algorithm[1], der.SEQUENCE))
        kdf_parts = der.children(der.expect(kdf, der.SEQUENCE))
        cipher_oid = der.decode_oid(der.expect(der.children(der.expect(cipher, der.SEQUENCE))[0],
                                               der.OID))
        kdf_oid = der.decode_oid(der.expect(kdf_parts[0], der.OID))
        if kdf_oid != OID_PBKDF2 or cipher_oid != OID_AES256_CBC:
            raise RequestFileError("unsupported_encryption", detail=f"{kdf_oid}, {cipher_oid}")
        params = der.children(der.expect(kdf_parts[1], der.SEQUENCE))
        der.expect(params[0], der.OCTET_STRING)
        iterations = der.decode_int(der.expect(params[1], der.INTEGER))
    except (der.DerError, IndexError, ValueError) as exc:
        if isinstance(exc, RequestFileError):
            raise
        raise RequestFileError("damaged", detail="the private key is not valid DER") from None
    if iterations < 1:
        raise RequestFileError("damaged", detail="the iteration count is not positive")
    if iterations > MAX_ITERATIONS:
        raise RequestFileError("too_many_iterations", iterations=iterations, max=MAX_ITERATIONS)
    return iterations


def read_request_file(data: bytes | str) -> RequestFile:
    """Parse and cross-check a request file; raise RequestFileError."""
    if isinstance(data, bytes):
        if len(data) > MAX_FILE_BYTES:
            raise RequestFileError("not_a_request_file")
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise RequestFileError("not_a_request_file") from None
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        raise RequestFileError("not_a_request_file") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise RequestFileError("not_a_request_file")
    if doc.get("version") != VERSION:
        raise RequestFileError("unsupported_version", version=doc.get("version"))
    missing = [name for name in _FIELDS if not isinstance(doc.get(name), str)]
    emails = doc.get("emails")
    if not isinstance(emails, list) or not all(isinstance(e, str) for e in emails):
        missing.append("emails")
    if missing:
        raise RequestFileError("damaged", detail="missing " + ", ".join(missing))
    try:
        csr = x509.load_pem_x509_csr(doc["csr"].encode("ascii"))
        csr_key = csr.public_key()
    except (ValueError, UnicodeEncodeError):
        raise RequestFileError("damaged", detail="the CSR cannot be read") from None
    if _spki_sha256(csr_key) != doc["spki_sha256"].lower():
        raise RequestFileError("damaged", detail="the fingerprint does not match the CSR")
    iterations = encryption_iterations(_pem_body(doc["private_key"]))
    return RequestFile(request_id=doc["request_id"], emails=tuple(emails),
                       key_algorithm=doc["key_algorithm"], spki_sha256=doc["spki_sha256"].lower(),
                       csr=csr, private_key_pem=doc["private_key"], iterations=iterations,
                       created=doc["created"])


def decrypt_private_key(request_file: RequestFile, password: str):
    """The request file's private key; wrong password → RequestFileError("wrong_password")."""
    try:
        key = serialization.load_pem_private_key(request_file.private_key_pem.encode("ascii"),
                                                 password.encode("utf-8"))
    except (ValueError, TypeError):
        raise RequestFileError("wrong_password") from None
    if _spki_sha256(key.public_key()) != request_file.spki_sha256:
        raise RequestFileError("damaged", detail="the private key does not match the CSR")
    return key


def load_chain(pem: bytes) -> list[x509.Certificate]:
    try:
        chain = x509.load_pem_x509_certificates(pem)
    except ValueError:
        raise RequestFileError("not_a_certificate") from None
    if not chain:
        raise RequestFileError("not_a_certificate")
    return chain


def split_chain(key, chain: list[x509.Certificate]
                ) -> tuple[x509.Certificate, list[x509.Certificate]]:
    """(the certificate of this key, the other certificates); key_mismatch if none fits."""
    wanted = _spki_sha256(key.public_key())
    for index, cert in enumerate(chain):
        if _spki_sha256(cert.public_key()) == wanted:
            return cert, chain[:index] + chain[index + 1:]
    raise RequestFileError("key_mismatch")


def friendly_name(cert: x509.Certificate) -> str:
    """The certificate's CN, else its first e-mail address (functional mailboxes)."""
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if names:
        return str(names[0].value)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        emails = san.get_values_for_type(x509.RFC822Name)
    except x509.ExtensionNotFound:
        emails = []
    return emails[0] if emails else f"{cert.serial_number:x}"


def build_pkcs12(key, leaf: x509.Certificate, cas: list[x509.Certificate], password: str,
                 profile: str = "compatible", name: str | None = None) -> bytes:
    """A .p12 in the compatible (3DES, SHA-1 MAC) or modern (AES-256, SHA-256 MAC) profile."""
    if profile not in PROFILES:
        raise RequestFileError("unknown_profile", profile=profile)
    if not password:
        raise RequestFileError("empty_password")
    builder = serialization.PrivateFormat.PKCS12.encryption_builder().kdf_rounds(P12_ITERATIONS)
    if profile == "compatible":
        builder = builder.key_cert_algorithm(
            pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC).hmac_hash(hashes.SHA1())
    else:
        builder = builder.key_cert_algorithm(
            pkcs12.PBES.PBESv2SHA256AndAES256CBC).hmac_hash(hashes.SHA256())
    return pkcs12.serialize_key_and_certificates(
        (name or friendly_name(leaf)).encode("utf-8"), key, leaf, cas or None,
        builder.build(password.encode("utf-8")))


# -- writing (tests and tools; the browser writes the same format) ----------------------

def encrypt_private_key(key, password: str, *, iterations: int = KDF_ITERATIONS,
                        salt: bytes | None = None, iv: bytes | None = None) -> str:
    """PEM "ENCRYPTED PRIVATE KEY" with PBES2/PBKDF2-HMAC-SHA256/AES-256-CBC, strict DER."""
    salt = os.urandom(SALT_BYTES) if salt is None else salt
    iv = os.urandom(16) if iv is None else iv
    plain = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
    secret = PBKDF2HMAC(hashes.SHA256(), 32, salt, iterations).derive(password.encode("utf-8"))
    padder = padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(secret), modes.CBC(iv)).encryptor()
    body = encryptor.update(padder.update(plain) + padder.finalize()) + encryptor.finalize()
    kdf = der.seq(der.oid(OID_PBKDF2), der.seq(der.octets(salt), der.integer(iterations),
                                                der.seq(der.oid(OID_HMAC_SHA256), der.null())))
    algorithm = der.seq(der.oid(OID_PBES2),
                        der.seq(kdf, der.seq(der.oid(OID_AES256_CBC), der.octets(iv))))
    encoded = base64.b64encode(der.seq(algorithm, der.octets(body))).decode("ascii")
    lines = [encoded[i:i + 64] for i in range(0, len(encoded), 64)]
    return "\n".join(["-----BEGIN ENCRYPTED PRIVATE KEY-----", *lines,
                      "-----END ENCRYPTED PRIVATE KEY-----", ""])


def write_request_file(key, csr: x509.CertificateSigningRequest, *, request_id: str,
                       emails: list[str], password: str, iterations: int = KDF_ITERATIONS,
                       created: datetime | None = None) -> str:
    """The JSON text of a request file, as the browser writes it."""
    created = created or datetime.now(timezone.utc)
    doc = {
        "format": FORMAT, "version": VERSION,
        "created": created.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "request_id": request_id, "emails": list(emails),
        "key_algorithm": algorithm_of(key.public_key()),
        "spki_sha256": _spki_sha256(key.public_key()),
        "csr": csr.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        "private_key": encrypt_private_key(key, password, iterations=iterations),
    }
    return json.dumps(doc, indent=2) + "\n"
