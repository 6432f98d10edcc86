"""Certificates as CAs hand them out: PKCS#7 (DER, BER or PEM) or PEM chains.

Some CAs send BER (indefinite lengths) inside their .p7b. cryptography only falls back to
BER with a warning (and may refuse it in future), so BER is turned into DER here first.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs7


class BundleError(ValueError):
    """The bytes hold no certificates we can read."""


def _length(data: bytes, offset: int) -> tuple[int | None, int]:
    first = data[offset]
    offset += 1
    if first < 0x80:
        return first, offset
    count = first & 0x7F
    if count == 0:
        return None, offset  # indefinite
    if count > 4 or offset + count > len(data):
        raise BundleError("bad length")
    return int.from_bytes(data[offset:offset + count], "big"), offset + count


def _encode_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _value(data: bytes, offset: int) -> tuple[int, bytes, int]:
    """One element at `offset` re-encoded as DER: (tag, DER content, offset after it)."""
    if offset + 2 > len(data):
        raise BundleError("truncated")
    tag = data[offset]
    if tag & 0x1F == 0x1F:
        raise BundleError("multi-byte tags are not expected in a certificate bundle")
    length, offset = _length(data, offset + 1)
    constructed = bool(tag & 0x20)
    if length is None:
        if not constructed:
            raise BundleError("indefinite length on a primitive value")
        parts = []
        while True:
            if offset + 2 > len(data):
                raise BundleError("truncated")
            if data[offset] == 0 and data[offset + 1] == 0:
                offset += 2
                break
            part_tag, part, offset = _value(data, offset)
            parts.append((part_tag, part))
    else:
        end = offset + length
        if end > len(data):
            raise BundleError("truncated")
        if not constructed:
            return tag, data[offset:end], end
        parts, inner = [], offset
        while inner < end:
            part_tag, part, inner = _value(data, inner)
            parts.append((part_tag, part))
        offset = end
    if tag == 0x24:  # BER-segmented OCTET STRING: DER has one primitive string
        return 0x04, b"".join(part for _, part in parts), offset
    return tag, b"".join(bytes([t]) + _encode_length(len(p)) + p for t, p in parts), offset


def ber_to_der(data: bytes) -> bytes:
    """Definite lengths everywhere (DER input comes back unchanged)."""
    tag, content, end = _value(bytes(data), 0)
    if end != len(data):
        raise BundleError("trailing data after the bundle")
    return bytes([tag]) + _encode_length(len(content)) + content


def load_certificates(data: bytes) -> list[x509.Certificate]:
    """Every certificate in a PKCS#7 (DER/BER/PEM) bundle or a PEM chain, in file order."""
    data = bytes(data)
    stripped = data.lstrip()
    try:
        if stripped.startswith(b"-----BEGIN PKCS7") or b"-----BEGIN PKCS7" in stripped[:200]:
            return list(pkcs7.load_pem_pkcs7_certificates(stripped))
        if stripped.startswith(b"-----BEGIN"):
            return list(x509.load_pem_x509_certificates(stripped))
        return list(pkcs7.load_der_pkcs7_certificates(ber_to_der(data)))
    except BundleError:
        raise
    except ValueError as exc:
        raise BundleError(f"no readable certificates: {exc}") from None


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def split_leaf(certs: Sequence[x509.Certificate]) -> tuple[x509.Certificate, list[x509.Certificate]]:
    """(end-entity certificate, its chain ordered issuer by issuer up to the root)."""
    leaves = [c for c in certs if not _is_ca(c)]
    if len(leaves) != 1:
        raise BundleError(f"expected one end-entity certificate, found {len(leaves)}")
    leaf = leaves[0]
    pool = [c for c in certs if c is not leaf]
    chain, current = [], leaf
    while pool:
        issuer = next((c for c in pool if c.subject == current.issuer), None)
        if issuer is None:
            break
        chain.append(issuer)
        pool.remove(issuer)
        if issuer.subject == issuer.issuer:
            break
        current = issuer
    return leaf, chain
