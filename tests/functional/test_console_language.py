"""Every console page, as every operator role, in each language: one language at a time,
no raw identifiers (field names, enum values, trigger names, UUIDs in headings).

The pages come from the url map (every console GET route without arguments, plus the
details and action pages of real rows), so a new page is covered automatically."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from ra_console.console.base import Guarded

PO = Path(__file__).resolve().parents[2] / "ra_console/translations/de/LC_MESSAGES/messages.po"
ROLES = ["nk-itc", "idv", "admin", "auditor"]
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
# Everyday words that show the other language where the catalog cannot (hard-coded text).
OTHER_WORDS = {
    "en": {"der", "die", "das", "und", "nicht", "für", "mit", "von", "Zertifikat",
           "Zertifikate", "Übersicht", "Verwaltung", "Betrieb", "Genehmigungen",
           "Einstellungen", "Personen", "Rollen", "Einrichtungen", "Speichern", "Abbrechen"},
    "de": {"the", "and", "not", "with", "from", "for", "Certificate", "Certificates",
           "Overview", "Settings", "Persons", "Roles", "Save", "Cancel", "List", "Create",
           "Edit", "Delete", "Search", "Actions"},
}


class VisibleText(HTMLParser):
    """The text a person reads: element text, and placeholder/title/aria-label/alt/value
    of buttons; headings separately."""

    # code and pre show technical values on purpose (policy OIDs, configured CA types)
    SKIP = {"script", "style", "template", "code", "pre", "textarea", "hidden"}

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.headings: list[str] = []
        self._stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        invisible = "hidden" in values or "d-none" in (values.get("class") or "").split()
        self._stack.append("hidden" if invisible else tag)
        for name in ("placeholder", "title", "aria-label", "alt"):
            if values.get(name):
                self.parts.append(values[name])
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.parts.append(values["value"])

    def handle_endtag(self, tag):
        while self._stack and self._stack.pop() not in (tag, "hidden"):
            pass

    def handle_data(self, data):
        if any(t in self.SKIP for t in self._stack) or not data.strip():
            return
        self.parts.append(data.strip())
        if any(t in ("h1", "h2", "h3", "title") for t in self._stack):
            self.headings.append(data.strip())


def visible(html: str) -> VisibleText:
    parser = VisibleText()
    parser.feed(html)
    return parser


def catalog() -> list[tuple[str, str]]:
    with PO.open("rb") as f:
        return [(m.id, m.string) for m in read_po(f)
                if m.id and isinstance(m.id, str) and m.string and m.string != m.id]


def _phrases(text: str) -> list[str]:
    """Literal pieces of a msgid/msgstr without its %(…)s placeholders (≥ 2 words each)."""
    pieces = re.split(r"%\(\w+\)s|%s|%d", text)
    return [p.strip(" .,:;()") for p in pieces if len(p.strip(" .,:;()").split()) >= 2]


@pytest.fixture(scope="module")
def other_language_phrases():
    german, english = set(), set()
    for msgid, msgstr in catalog():
        english.update(_phrases(msgid))
        german.update(_phrases(msgstr))
    same = english & german
    return {"en": german - same, "de": english - same}


def console_pages(app, browser) -> list[str]:
    views = {view.endpoint for view in app.extensions["admin"][0]._views}
    urls = []
    for rule in app.url_map.iter_rules():
        prefix = rule.endpoint.partition(".")[0]
        if prefix in views and "GET" in rule.methods and not rule.arguments \
                and "/export/" not in rule.rule and "/static" not in rule.rule:
            urls.append(rule.rule)
    return sorted(urls)


def details_pages(html: str) -> list[str]:
    """Links to rows found on a list page (details, workflow action and revoke-all pages)."""
    return sorted(set(re.findall(
        r'href="(/console/[\w-]+/(?:(?:details|actions)/\?[^"]+|(?:actions|revoke-all)/\d+))"',
        html)))


def raw_identifiers(page: VisibleText) -> list[str]:
    found = []
    for part in page.parts:
        cleaned = re.sub(r"\S+@\S+|https?://\S+|/\S+|\S+\.(?:crl|crt|pem|csv|json|p12|p7b)\b",
                         "", part)
        found += SNAKE.findall(cleaned)
    found += [h for h in page.headings if UUID.search(h)]
    return found


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("who", ROLES)
def test_console_speaks_one_language(app, browser, issue_directly, other_language_phrases,
                                     who, lang):
    issue_directly()  # rows in the lists: a certificate, its mailbox, audit events, mails
    browser.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
    browser.login(who)
    problems = []
    seen: set[str] = set()
    queue = console_pages(app, browser)
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = browser.client.get(url)
        if response.status_code != 200:
            continue
        html = response.get_data(as_text=True)
        page = visible(html)
        text = "\n".join(page.parts)
        for raw in raw_identifiers(page):
            problems.append(f"{url}: raw identifier {raw!r}")
        for phrase in other_language_phrases[lang]:
            if phrase in text:
                problems.append(f"{url}: other language {phrase!r}")
        for word in OTHER_WORDS[lang] & set(re.findall(r"\w+", text)):
            problems.append(f"{url}: other language {word!r}")
        if len(seen) < 60:
            queue += [u.replace("&amp;", "&") for u in details_pages(html)[:3]]
    assert problems == [], "\n".join(problems)


def test_every_console_view_is_covered(app, browser):
    assert all(isinstance(v, Guarded) for v in app.extensions["admin"][0]._views)
    assert len(console_pages(app, browser)) >= 10
