"""Every error a person may see is a code with parameters, and every code has a text in
German and in English where it is shown (no English text matched by pattern)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import Babel, force_locale

from ra_console.adapters import overrides
from ra_console.console.csv_import import csv_error_message
from ra_console.console.identity import identity_message
from ra_console.core import config
from ra_console.pki import profiles
from ra_console.pki.filekind import KINDS
from ra_console.usecases.csv_import import CsvError
from ra_console.web.messages import (
    ADDRESS_MESSAGES,
    AUDIT_MESSAGES,
    INPUT_MESSAGES,
    REVOCATION_MESSAGES,
    RULE_MESSAGES,
    SCIM_CLIENT_MESSAGES,
    address_message,
)
from ra_console.web.request_messages import FILE_KINDS, MESSAGES as REQUEST_MESSAGES
from ra_console.workflow import audit

PACKAGE = Path(__file__).resolve().parents[2] / "ra_console"
SOURCES = "\n".join(p.read_text() for p in PACKAGE.rglob("*.py"))
# Codes raised through a variable, not a literal (see usecases/requests.py).
INDIRECT_REQUEST_CODES = {"open_request", "valid_certificate", "unsent_request"}
# Why a workflow button is refused on the request's page (portal/views.py, _refusal).
REFUSAL_CODES = {"address_inactive", "already_sent", "not_deletable", "condition"}


def _raised(error: str) -> set[str]:
    return set(re.findall(rf"raise {error}\(\s*\"(\w+)\"\s*[,)]", SOURCES))


@pytest.fixture(scope="module")
def app():
    app = Flask("messages")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(PACKAGE / "translations")
    Babel(app)
    return app


def _both(app, render) -> tuple[str, str]:
    with app.test_request_context():
        with force_locale("en"):
            english = str(render())
        with force_locale("de"):
            german = str(render())
    return english, german


def _params(text_with_placeholders: str) -> dict:
    return {name: f"<{name}>" for name in re.findall(r"%\((\w+)\)s", text_with_placeholders)}


RULE_TABLES = {"pki.profiles": profiles.PROBLEMS, "core.config": config.PROBLEMS,
               "adapters.overrides": overrides.PROBLEMS}


@pytest.mark.parametrize("table", RULE_TABLES)
def test_every_rule_has_a_text_in_both_languages(app, table):
    for code, english_rule in RULE_TABLES[table].items():
        assert code in RULE_MESSAGES, f"{table}: {code} has no console text"
        english, german = _both(app, lambda c=code, r=english_rule: RULE_MESSAGES[c](_params(r)))
        assert english and german and english != german, (code, english, german)


def test_rule_codes_are_unique_across_the_three_tables():
    seen: dict[str, str] = {}
    for rules in RULE_TABLES.values():
        for code, text in rules.items():
            assert seen.setdefault(code, text) == text, f"{code} means two things"


def test_a_refused_profile_value_carries_its_code():
    with pytest.raises(profiles.ProfileError) as refused:
        profiles.CertificateProfile(name="p", validation="mailbox", validity_days=9999)
    assert (refused.value.field, refused.value.code) == ("validity_days", "between")
    assert refused.value.params == {"low": 1, "high": profiles.MAX_VALIDITY_DAYS}


def test_every_address_code_has_both_languages(app):
    codes = _raised("AddressError")
    assert codes and codes <= set(ADDRESS_MESSAGES)
    for code in codes:
        english, german = _both(app, lambda c=code: ADDRESS_MESSAGES[c]({}))
        assert english != german, code


def test_every_request_code_has_both_languages(app):
    csr_codes = {f"csr_{c}" for c in _raised("CsrError")}
    codes = _raised("RequestError") | INDIRECT_REQUEST_CODES | REFUSAL_CODES | csr_codes
    assert codes <= set(REQUEST_MESSAGES), codes - set(REQUEST_MESSAGES)
    for code in codes:
        english, german = _both(app, lambda c=code: REQUEST_MESSAGES[c]({}))
        assert english != german, code


def test_every_file_kind_has_both_languages(app):
    """A wrong upload is named (pki/filekind.py) in both languages, never by the generic
    "not a CSR" text."""
    assert set(FILE_KINDS) == set(KINDS)
    generic, _ = _both(app, lambda: REQUEST_MESSAGES["csr_not_a_csr"]({}))
    for kind in KINDS:
        english, german = _both(app, lambda k=kind: REQUEST_MESSAGES["csr_not_a_csr"](
            {"kind": k}))
        assert english != german and english != generic, kind


def test_every_identity_code_has_both_languages(app):
    codes = _raised("IdentityError")
    assert codes
    for code in codes:
        english, german = _both(app, lambda c=code: identity_message(c))
        fallback, _ = _both(app, lambda: identity_message("no such code"))
        assert english != fallback.replace("no such code", code), code
        assert english != german, code


def test_every_csv_file_code_has_both_languages(app):
    codes = _raised("CsvError")
    assert codes
    texts = set()
    for code in codes:
        english, german = _both(app, lambda c=code: csv_error_message(CsvError(c)))
        assert english != german, code
        texts.add(english)
    assert len(texts) == len(codes), "two codes share the fallback text"


def test_every_audit_chain_problem_has_both_languages(app):
    assert set(audit.PROBLEMS) == set(AUDIT_MESSAGES)
    for code, english_text in audit.PROBLEMS.items():
        params = _params(english_text)
        english, german = _both(app, lambda c=code, p=params: AUDIT_MESSAGES[c](p))
        assert english == english_text % params and english != german, code


def test_every_input_rule_code_has_both_languages_wherever_it_is_shown(app):
    rules = (PACKAGE / "pki" / "input_rules.py").read_text()
    codes = set(re.findall(r"Problem\(\s*\"(\w+)\"", rules))
    assert codes and codes <= set(INPUT_MESSAGES), codes - set(INPUT_MESSAGES)
    params = {"field": "comment", "address": "a@b.org", "value": "x", "max": 1,
              "local_max": 1}
    for code in codes:
        for show in (address_message, identity_message):  # address rows, identity desk
            english, german = _both(app, lambda c=code, s=show: s(c, params))
            assert english != german and "(%s)" % code not in english, code


def test_every_revocation_code_has_both_languages(app):
    codes = _raised("RevocationError") | _raised("PossessionError")
    assert {"bad_signature", "challenge_expired"} <= codes <= set(REVOCATION_MESSAGES)
    for code in codes:
        english, german = _both(app, lambda c=code: REVOCATION_MESSAGES[c]({"serial": "1a"}))
        assert english != german, code


def test_every_scim_client_code_has_both_languages(app):
    codes = _raised("ScimClientError")
    assert codes and codes <= set(SCIM_CLIENT_MESSAGES)
    for code in codes:
        english, german = _both(app, lambda c=code: SCIM_CLIENT_MESSAGES[c](
            {"max": 100, "name": "x"}))
        assert english != german, code
