"""Helpers shared by tests in different folders (importable from any test:
pyproject.toml puts tests/ on pytest's pythonpath)."""

from __future__ import annotations

import os

import pytest

# Under CI a missing component fails the test that needs it; locally it skips.
REQUIRE_ALL = os.environ.get("CI") == "true" or os.environ.get("RA_REQUIRE_ALL") == "1"


def missing(component: str) -> None:
    """Skip locally, fail under CI: a missing component never hides work there."""
    if REQUIRE_ALL:
        pytest.fail(f"{component} is required under CI")
    pytest.skip(f"{component} not available")


def der_to_ber(data: bytes, depth: int = 3) -> bytes:
    """Re-encode the outer constructed values with indefinite lengths (as some CAs do);
    the certificates inside stay DER."""
    out, offset = b"", 0
    while offset < len(data):
        start, tag, first = offset, data[offset], data[offset + 1]
        offset += 2
        length = first
        if first & 0x80:
            count = first & 0x7F
            length = int.from_bytes(data[offset:offset + count], "big")
            offset += count
        value, offset = data[offset:offset + length], offset + length
        if tag & 0x20 and depth > 0:
            out += bytes([tag, 0x80]) + der_to_ber(value, depth - 1) + b"\0\0"
        else:
            out += data[start:offset]
    return out
