"""docs/configuration.md lists every key of config/defaults.toml, each with its comment."""

from __future__ import annotations

import tomllib

from ra_console.core.config import DEFAULTS_FILE, _flatten
from ra_console.core.config_doc import DOC, _comments, render


def test_every_key_has_a_comment():
    keys = _flatten(tomllib.loads(DEFAULTS_FILE.read_text(encoding="utf-8")))
    comments = _comments()
    assert [k for k in keys if not comments.get(k)] == []


def test_configuration_doc_is_current():
    document = DOC.read_text(encoding="utf-8")
    assert render(document) == document, \
        "run: .venv/bin/python -m ra_console.core.config_doc"
