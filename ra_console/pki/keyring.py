"""A key ring: one .p12 with several keys and their certificates (old mail stays readable).

After a renewal, mail encrypted to the old certificate opens only with the old key. The
person keeps every request file (.json); this module pairs each decrypted key with its
certificate by the public key (never by name or date) and writes one PKCS#12 holding all
pairs, the current (newest) first, each named with its validity dates.

cryptography writes a PKCS#12 with one key only. A PKCS#12's AuthenticatedSafe is a list of
independently encrypted ContentInfos, so one file per pair is built with cryptography and
their ContentInfos are put into one list; only the MAC over the list is computed anew
(RFC 7292 appendix B.2 key derivation, the same the browser uses in static/js/pkcs12.js).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import pkcs7

from ra_console.pki import _der as der, requestfile as rf

SHORT_FINGERPRINT = 16  # hex characters of the SPKI SHA-256 shown next to a certificate
_OID_DATA = "1.2.840.113549.1.7.1"
_HASHES = {"1.3.14.3.2.26": "sha1", "2.16.840.1.101.3.4.2.1": "sha256"}


def short_fingerprint(spki_sha256: str) -> str:
    """The key's short fingerprint: the first 16 hex characters of its SPKI SHA-256."""
    return spki_sha256[:SHORT_FINGERPRINT].lower()


def suggested_file_name(address: str, public_id: str) -> str:
    """The name the portal gives a request file when it saves it (static/js: fileStem)."""
    stem = address.replace("@", "_at_", 1)
    stem = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in stem)
    return f"{stem}_{public_id[:8]}.json"


def dated_name(cert: x509.Certificate) -> str:
    """"Name <mail> 2025-01-01–2027-01-01": which of several keys a mail program shows."""
    name = rf.friendly_name(cert)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        emails = san.get_values_for_type(x509.RFC822Name)
    except x509.ExtensionNotFound:
        emails = []
    if emails and emails[0] != name:
        name = f"{name} <{emails[0]}>"
    return (f"{name} {cert.not_valid_before_utc:%Y-%m-%d}\u2013"
            f"{cert.not_valid_after_utc:%Y-%m-%d}")


def load_certificates(data: bytes) -> list[x509.Certificate]:
    """Certificates from PEM (one or many), PKCS#7 (PEM or DER) or one DER certificate."""
    loaders = (x509.load_pem_x509_certificates, pkcs7.load_pem_pkcs7_certificates,
               pkcs7.load_der_pkcs7_certificates, lambda d: [x509.load_der_x509_certificate(d)])
    for load in loaders:
        try:
            certs = load(data)
        except ValueError:
            continue
        if certs:
            return list(certs)
    raise rf.RequestFileError("not_a_certificate")


@dataclass(frozen=True)
class Pair:
    """One key of the ring with its certificate; `source` names the request file."""

    key: object
    cert: x509.Certificate
    source: str


def _spki(public_key) -> str:
    return rf.spki_sha256_of(public_key)


def match(keys: list[tuple[str, object]], certs: list[x509.Certificate]
          ) -> tuple[list[Pair], list[x509.Certificate]]:
    """Pair every (source, key) with the certificate of the same public key, newest first;
    the other certificates that are CAs come back as the chain. A key without a certificate
    raises no_certificate naming its source."""
    unique = list({c.fingerprint(hashes.SHA256()): c for c in certs}.values())
    by_key: dict[str, list[x509.Certificate]] = {}
    for cert in unique:
        by_key.setdefault(_spki(cert.public_key()), []).append(cert)
    pairs, seen = [], set()
    for source, key in keys:
        fingerprint = _spki(key.public_key())
        if fingerprint in seen:
            continue  # the same request file twice
        seen.add(fingerprint)
        found = by_key.get(fingerprint)
        if not found:
            raise rf.RequestFileError("no_certificate", file=source,
                                      fingerprint=short_fingerprint(fingerprint))
        newest = max(found, key=lambda c: c.not_valid_before_utc)
        pairs.append(Pair(key, newest, source))
    pairs.sort(key=lambda p: p.cert.not_valid_before_utc, reverse=True)
    leaves = {_spki(p.cert.public_key()) for p in pairs}
    cas = [c for c in unique if _spki(c.public_key()) not in leaves and _is_ca(c)]
    return pairs, cas


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def pkcs12_kdf(hash_name: str, password: str, salt: bytes, purpose: int, iterations: int,
               size: int) -> bytes:
    """RFC 7292 B.2: the password as BMPString (UTF-16BE plus two zero bytes)."""
    v = 64
    secret = password.encode("utf-16-be") + b"\0\0"

    def fill(data: bytes) -> bytes:
        length = v * -(-len(data) // v)
        return (data * (length // len(data) + 1))[:length] if data else b""

    block = bytearray(fill(salt) + fill(secret))
    prefix = bytes([purpose]) * v
    out = b""
    while len(out) < size:
        a = hashlib.new(hash_name, prefix + bytes(block)).digest()
        for _ in range(1, iterations):
            a = hashlib.new(hash_name, a).digest()
        out += a
        b = int.from_bytes(fill(a), "big") + 1
        for j in range(0, len(block), v):
            total = (int.from_bytes(block[j:j + v], "big") + b) % (1 << (8 * v))
            block[j:j + v] = total.to_bytes(v, "big")
    return out[:size]


def _content_infos(pfx: bytes) -> tuple[list[bytes], bytes]:
    """(the AuthenticatedSafe's ContentInfos as DER, the MacData's value) of a PFX."""
    version, auth_safe, mac_data = der.children(der.single(pfx, der.SEQUENCE))
    content_type, explicit = der.children(der.expect(auth_safe, der.SEQUENCE))
    if der.decode_oid(der.expect(content_type, der.OID)) != _OID_DATA:
        raise der.DerError("authSafe is not data")
    safe = der.single(der.single(der.expect(explicit, 0xA0), der.OCTET_STRING), der.SEQUENCE)
    return [der.tlv(tag, value) for tag, value in der.children(safe)], der.expect(
        mac_data, der.SEQUENCE)


def build_ring(pairs: list[Pair], cas: list[x509.Certificate], password: str,
               profile: str = "compatible") -> bytes:
    """One .p12 with every pair in order (the chain once, with the first); one pair gives
    the same file as requestfile.build_pkcs12 with the dated name."""
    files = [rf.build_pkcs12(p.key, p.cert, cas if i == 0 else [], password, profile,
                             name=dated_name(p.cert)) for i, p in enumerate(pairs)]
    if len(files) == 1:
        return files[0]
    infos: list[bytes] = []
    for data in files:
        infos += _content_infos(data)[0]
    mac, salt, iterations = der.children(_content_infos(files[0])[1])
    algorithm = der.children(der.expect(der.children(der.expect(mac, der.SEQUENCE))[0],
                                        der.SEQUENCE))
    digest_oid = der.decode_oid(der.expect(algorithm[0], der.OID))
    hash_name = _HASHES[digest_oid]
    salt_bytes = der.expect(salt, der.OCTET_STRING)
    rounds = der.decode_int(der.expect(iterations, der.INTEGER))
    safe = der.seq(*infos)
    size = hashlib.new(hash_name).digest_size
    mac_key = pkcs12_kdf(hash_name, password, salt_bytes, 3, rounds, size)
    digest = hmac.new(mac_key, safe, hash_name).digest()
    mac_data = der.seq(der.seq(der.seq(der.oid(digest_oid), der.null()), der.octets(digest)),
                       der.octets(salt_bytes), der.integer(rounds))
    auth_safe = der.seq(der.oid(_OID_DATA), der.tlv(0xA0, der.octets(safe)))
    return der.seq(der.integer(3), auth_safe, mac_data)
