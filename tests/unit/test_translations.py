"""The German catalog covers every UI string, keeps its placeholders, and is compiled.

Fails as soon as someone adds a _("...") string without translating it: run
scripts/update-translations, translate the new entries in
ra_console/translations/de/LC_MESSAGES/messages.po, run the script again.
"""

from __future__ import annotations

import re
from fnmatch import fnmatch
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from babel.support import Translations

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "ra_console" / "translations"
PO = TRANSLATIONS / "de" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
SCRIPT = ROOT / "scripts" / "update-translations"
FIX = "run scripts/update-translations, translate, run it again"

# Labels of the reference portal (DESIGN.md §1, docs of the RWTH RA-Portal): where one of
# these English texts is a msgid, its German must be exactly the portal's label.
PORTAL_LABELS = {
    "My client certificates": "Meine Client-Zertifikate",
    "Request client certificate": "Client-Zertifikat beantragen",
    "Not requestable": "Nicht anfragbar",
    "Send request now": "Zertifikatsantrag jetzt absenden",
    "Show request first": "Zertifikatsantrag erst anzeigen",
    "Contents of the certificate request": "Inhalt des Zertifikatsantrages",
    "E-mail account": "E-Mail-Konto",
    "Attributes set by the CA": "Von der CA festgelegte Attribute",
    "Key algorithm": "Schlüsselalgorithmus",
    "Password to encrypt the private key": "Passwort zum Verschlüsseln des Private Key",
    "Password to decrypt the private key": "Passwort zum Entschlüsseln des Private Key",
    "Password to encrypt the PKCS#12 file": "Passwort zum Verschlüsseln der PKCS#12-Datei",
    "Sent, not issued": "Gesendet, nicht ausgestellt",
    "Request file": "Antragsdatei",
}

# %(name)s, %s, %d, %%, ... as Python's %-formatting reads them.
FORMAT_SPEC = re.compile(r"%(?:\((\w+)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?([diouxXeEfFgGcrsa%])")
NAMED = re.compile(r"%\((\w+)\)")


def _script_setting(name: str) -> str:
    match = re.search(rf'^{name}="([^"]*)"$', SCRIPT.read_text(encoding="utf-8"), re.MULTILINE)
    assert match, f"{SCRIPT.name} has no {name}=\"...\" line"
    return match.group(1)


def _extract() -> dict[tuple[str | tuple[str, ...], str | None], list[str]]:
    """msgid (and context) → locations, read from the sources as the update script does."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f, filename="babel.cfg")
    keywords = {**DEFAULT_KEYWORDS, **parse_keywords(_script_setting("KEYWORDS").split())}
    ignored = _script_setting("IGNORE_DIRS").split()

    def scan(dirpath) -> bool:
        return not any(fnmatch(Path(dirpath).name, pattern) for pattern in ignored)

    found: dict = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
            ROOT, method_map, options_map, keywords=keywords, directory_filter=scan):
        found.setdefault((message, context), []).append(f"{filename}:{lineno}")
    return found


def _as_tuple(value) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


@pytest.fixture(scope="module")
def catalog():
    with open(PO, "rb") as f:
        return read_po(f)


@pytest.fixture(scope="module")
def extracted():
    return _extract()


def test_extraction_finds_the_ui_strings(extracted):
    files = {loc.rsplit(":", 1)[0] for locs in extracted.values() for loc in locs}
    assert any(f.endswith(".py") for f in files), "no strings from Python code: check babel.cfg"
    assert any(f.endswith(".html") for f in files), "no strings from templates: check babel.cfg"
    assert ("My client certificates", None) in extracted


def test_catalog_header_is_usable(catalog):
    assert str(catalog.locale) == "de"
    assert not catalog.fuzzy, "the catalog header is marked fuzzy: it would not be compiled"
    assert catalog.num_plurals == 2


def test_every_source_string_has_a_german_translation(catalog, extracted):
    problems = []
    for (msgid, context), locations in extracted.items():
        entry = catalog.get(msgid, context=context)
        where = locations[0]
        if entry is None:
            problems.append(f"{where}: not in messages.po: {msgid!r}")
        elif entry.fuzzy:
            problems.append(f"{where}: fuzzy (review it, then drop the flag): {msgid!r}")
        elif not all(s.strip() for s in _as_tuple(entry.string)):
            problems.append(f"{where}: no German translation: {msgid!r}")
    assert not problems, f"{FIX}:\n" + "\n".join(problems)


def test_placeholders_match(catalog):
    problems = []
    for entry in catalog:
        if not entry.id or not any(_as_tuple(entry.string)):
            continue
        ids = _as_tuple(entry.id)
        in_template = any(path.endswith(".html") for path, _line in entry.locations)
        for translation in _as_tuple(entry.string):
            wanted = sorted(FORMAT_SPEC.findall(ids[-1]))
            if wanted or in_template:
                # Templates use newstyle gettext, which %-formats every string: a stray "%"
                # (or a placeholder the msgid does not have) breaks the page.
                if sorted(FORMAT_SPEC.findall(translation)) != wanted:
                    problems.append(f"{entry.id!r}: placeholders differ in {translation!r}")
                    continue
                values = {name: "x" for name in NAMED.findall(ids[-1])}
                try:
                    translation % (values or {})
                except (KeyError, ValueError, TypeError) as exc:
                    problems.append(f"{entry.id!r}: {translation!r} does not format: {exc}")
            elif NAMED.search(translation):
                problems.append(f"{entry.id!r}: {translation!r} has a placeholder the "
                                "msgid lacks")
    assert not problems, "\n".join(problems)


def test_portal_labels_are_used_exactly(catalog):
    wrong = [f"{msgid!r}: {catalog[msgid].string!r}, expected {german!r}"
             for msgid, german in PORTAL_LABELS.items()
             if msgid in catalog and catalog[msgid].string and catalog[msgid].string != german]
    assert not wrong, "\n".join(wrong)


def test_compiled_catalog_is_up_to_date(catalog):
    with open(MO, "rb") as f:
        compiled = read_mo(f)

    def translations(cat, skip_fuzzy: bool) -> dict:
        return {(_as_tuple(m.id), m.context): _as_tuple(m.string) for m in cat
                if m.id and any(_as_tuple(m.string)) and not (skip_fuzzy and m.fuzzy)}

    expected = translations(catalog, skip_fuzzy=True)
    actual = translations(compiled, skip_fuzzy=False)
    differing = {k for k in expected.keys() & actual.keys() if expected[k] != actual[k]}
    stale = sorted(" / ".join(key[0]) for key in (expected.keys() ^ actual.keys()) | differing)
    assert not stale, f"messages.mo differs from messages.po ({FIX}):\n" + "\n".join(stale)


def test_flask_babel_finds_the_catalog():
    """The directory layout is the one Flask-Babel loads (translations/<lang>/LC_MESSAGES)."""
    german = Translations.load(str(TRANSLATIONS), ["de"])
    assert german.gettext("My client certificates") == "Meine Client-Zertifikate"
