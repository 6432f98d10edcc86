"""Property: whatever a person puts in `next=`, the redirect stays on this site."""

from __future__ import annotations

import unicodedata
from urllib.parse import urljoin, urlsplit

import pytest
from flask import redirect
from hypothesis import HealthCheck, given, settings, strategies as st

from ra_console.web.redirects import local_target

BOUNDED = settings(max_examples=400, deadline=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture])
# Pieces that URL parsers and browsers treat specially, mixed with any text.
PIECES = st.sampled_from(["/", "//", "\\", "\t", "\n", "\r", "\x00", "\x0b", "\x1f", "\x7f",
                          "\u2028", "\u200b", "\ufeff", "\uff0f", "\ufe68", ":", "@", "?",
                          "#", "%2F", "%09", "%5C", ".", "..", "evil.example", "http",
                          "https:", "javascript:", "certificates", "console", " "])
TARGETS = st.one_of(st.text(max_size=60),
                    st.lists(st.one_of(PIECES, st.text(max_size=4)), max_size=12).map("".join))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@BOUNDED
@given(target=TARGETS)
def test_no_target_leaves_the_site(app, target):
    with app.test_request_context("/"):
        result = local_target(target, "/")
        location = redirect(result).headers["Location"]
    assert result.startswith("/") and not result.startswith("//") and "\\" not in result
    assert not any(unicodedata.category(ch).startswith("C") for ch in result)
    assert not urlsplit(result).scheme and not urlsplit(result).netloc
    assert urlsplit(urljoin("http://localhost/", location)).netloc == "localhost"
