"""A minimal, strict DER reader and writer: just enough for PKCS#8 EncryptedPrivateKeyInfo.

Only definite, minimally encoded lengths are read; anything else is refused, so a BER
file (e.g. an indefinite-length OCTET STRING) is reported as damaged instead of guessed at.
"""

from __future__ import annotations

SEQUENCE, OCTET_STRING, INTEGER, OID, NULL = 0x30, 0x04, 0x02, 0x06, 0x05


class DerError(ValueError):
    """The bytes are not the strict DER we expect."""


def read(data: bytes, offset: int = 0) -> tuple[int, bytes, int]:
    """One TLV at `offset`: (tag, value, offset after it)."""
    if offset + 2 > len(data):
        raise DerError("truncated")
    tag, first = data[offset], data[offset + 1]
    offset += 2
    if tag & 0x1F == 0x1F:
        raise DerError("multi-byte tags are not used here")
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4:
            raise DerError("indefinite or oversized length")
        if offset + count > len(data):
            raise DerError("truncated")
        length = int.from_bytes(data[offset:offset + count], "big")
        if length < 0x80 or data[offset] == 0:
            raise DerError("length not minimally encoded")
        offset += count
    end = offset + length
    if end > len(data):
        raise DerError("truncated")
    return tag, data[offset:end], end


def children(value: bytes) -> list[tuple[int, bytes]]:
    """The TLVs inside a constructed value, in order."""
    items, offset = [], 0
    while offset < len(value):
        tag, inner, offset = read(value, offset)
        items.append((tag, inner))
    return items


def expect(item: tuple[int, bytes], tag: int) -> bytes:
    if item[0] != tag:
        raise DerError(f"expected tag {tag:#x}, found {item[0]:#x}")
    return item[1]


def single(data: bytes, tag: int) -> bytes:
    """The value of the one TLV that makes up `data` (nothing may follow it)."""
    found, value, end = read(data)
    if end != len(data):
        raise DerError("trailing data")
    return expect((found, value), tag)


def decode_int(value: bytes) -> int:
    if not value or (len(value) > 1 and (value[0] == 0 and value[1] < 0x80
                                         or value[0] == 0xFF and value[1] >= 0x80)):
        raise DerError("integer not minimally encoded")
    return int.from_bytes(value, "big", signed=True)


def decode_oid(value: bytes) -> str:
    if not value or value[-1] & 0x80:
        raise DerError("bad object identifier")
    arcs, current = [], 0
    for byte in value:
        if current == 0 and byte == 0x80:
            raise DerError("object identifier not minimally encoded")
        current = current << 7 | byte & 0x7F
        if not byte & 0x80:
            arcs.append(current)
            current = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(str(a) for a in (first, arcs[0] - 40 * first, *arcs[1:]))


# -- writing -------------------------------------------------------------------------

def tlv(tag: int, value: bytes) -> bytes:
    length = len(value)
    if length < 0x80:
        return bytes([tag, length]) + value
    raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(raw)]) + raw + value


def seq(*items: bytes) -> bytes:
    return tlv(SEQUENCE, b"".join(items))


def integer(number: int) -> bytes:
    return tlv(INTEGER, number.to_bytes(number.bit_length() // 8 + 1, "big", signed=True))


def octets(value: bytes) -> bytes:
    return tlv(OCTET_STRING, value)


def oid(dotted: str) -> bytes:
    arcs = [int(a) for a in dotted.split(".")]
    body = bytearray()
    for arc in [40 * arcs[0] + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | arc & 0x7F)
            arc >>= 7
        body.extend(reversed(chunk))
    return tlv(OID, bytes(body))


def null() -> bytes:
    return bytes([NULL, 0])
