"""Address rules: ASCII local parts, IDN domains only as A-labels (S/MIME BR §3.1.4.1 /
RFC 8398: an SmtpUTF8Mailbox would need its own SAN type, which we do not issue)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from ra_console.adapters.challenges import hash_token, token_for
from ra_console.usecases.addresses import AddressError, check_address


@pytest.mark.parametrize("address", [
    "erika.mustermann@uni.example.org", "Erika.Mustermann@ITC.uni.example.org",
    "o'brien+certs@uni.example.org", "user@xn--mnchen-3ya.example.org",
])
def test_accepted(address):
    assert check_address(address) == address.strip()


@pytest.mark.parametrize("address", [
    "jürgen@uni.example.org", "user@münchen.example.org", "no-at-sign", "a@b", "@uni.example.org",
    "a..b@uni.example.org", "a@-bad-.example.org", "a b@uni.example.org",
    "a@uni.example.org\nBcc: evil@example.com",
])
def test_refused(address):
    with pytest.raises(AddressError) as info:
        check_address(address)
    assert info.value.code == "bad_address"


@pytest.mark.parametrize("address", [
    "x" * 65 + "@uni.example.org", "x" * 200 + "@uni.example.org",
    "a@" + "sub." * 62 + "example.org",
])
def test_rfc_5321_lengths(address):
    """RFC 5321 4.5.3.1: at most 64 characters before the @, 254 in all (pen-test
    finding 8: a 200-character local part was accepted)."""
    with pytest.raises(AddressError) as info:
        check_address(address)
    assert info.value.code == "address_too_long"
    assert check_address("x" * 64 + "@uni.example.org")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_is_accepted_or_refused_cleanly(text):
    try:
        result = check_address(text)
    except AddressError:
        return
    assert result.isascii() and "@" in result and "\n" not in result


def test_tokens_are_bound_to_the_secret():
    assert token_for("s1", "n") != token_for("s2", "n")
    assert len(token_for("s1", "n")) >= 43  # 256 bits, base64url
    assert hash_token(token_for("s1", "n")) != token_for("s1", "n")
