"""Properties of the typed-text rules: whatever passes is safe to store and to put into a
certificate; no rule ever raises."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings, strategies as st

from ra_console.pki import input_rules as rules

TEXT = st.one_of(st.text(max_size=300),
                 st.lists(st.sampled_from(["a", "Z", "9", "<", ">", "\x00", "\x07", "\n",
                                           "\u200b", "\u2028", "@", ".", "-", " ", "é"]),
                          max_size=140).map("".join))
BOUNDED = settings(max_examples=400, deadline=None)


def _visible(text: str, line_breaks: bool = False) -> bool:
    return all(unicodedata.category(ch)[0] != "C" or (line_breaks and ch in "\n\r\t")
               for ch in text) and "\u2028" not in text and "\u2029" not in text


@BOUNDED
@given(TEXT)
def test_accepted_names_have_no_markup_nothing_invisible_and_fit(text):
    if rules.name_problem(text) is None:
        assert "<" not in text and ">" not in text and _visible(text)
        assert len(text) <= rules.NAME_MAX


@BOUNDED
@given(TEXT)
def test_accepted_user_names_fit_and_are_plain_ascii(text):
    if rules.username_problem(text) is None:
        assert 0 < len(text) <= rules.USERNAME_MAX and text.isascii() and text.isprintable()
        assert not set(text) & set("<>\"' \\/")


@BOUNDED
@given(TEXT)
def test_accepted_addresses_and_document_numbers_fit(text):
    if rules.address_problem(text) is None:
        assert len(text) <= rules.EMAIL_MAX and len(text.split("@")[0]) <= rules.EMAIL_LOCAL_MAX
    if rules.document_number_problem(text) is None:
        assert 0 < len(text) <= rules.DOCUMENT_NUMBER_MAX and text.isascii() and _visible(text)


@BOUNDED
@given(TEXT)
def test_free_text_and_logged_text_never_carry_nul(text):
    if rules.free_text_problem(text) is None:
        assert _visible(text, line_breaks=True) and len(text) <= rules.FREE_TEXT_MAX
    logged = rules.printable(text, 50)
    assert len(logged) <= 50 and _visible(logged)
    assert len(rules.shown(text)) <= rules.SHOWN + 1
