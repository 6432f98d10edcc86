"""The console's name search through the name table (migration 0012): the same
certificates as Flask-Admin's ILIKE on common_name found before it, ranked; the table kept
by the app and backfilled by the migration (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from flask_admin.contrib.sqla import tools
from sqlalchemy import Unicode, and_, cast, text
from sqlmodel import select
from support import holder_with_mailbox

from ra_console.console.name_search import count_and_ids, ranked_page
from ra_console.console.views import _split_terms
from ra_console.core.db import make_engine
from ra_console.models import Certificate, CertificateName
from ra_console.queries.certificate_list import listed_page
from tests.integration.test_migration_0007 import holder_at, insert, migrate

# umlauts, ß and its capital, a dotless ı, names inside names (Lena/Helena, Weiß/Weißer),
# a double name, a functional certificate without a name
NAMES = ["Lena Fuchs", "Helena Fuchs", "Fuchs Lena", "Jürgen Müller", "Anna Müller",
         "Anna Mueller", "Lena Strauß", "LENA STRAUSS", "Zoë Weiß", "Greta Weißer",
         "Ayşe Öztürk", "Aylin Yılmaz", "Mia Schmidt-Weiß", "Ben ẞtraße", "Paul Muller", None]
TERMS = ["Lena Fuchs", "Fuchs Lena", "lena fuchs", "LENA", "ena", "Müller", "müller",
         "Muller", "Mueller", "Strauß", "strauss", "STRAUSS", "Weiß", "weiß", "Zoë", "Zoe",
         "Öztürk", "Yılmaz", "Yilmaz", "Schmidt-Weiß", "Anna Müller", "Müller Anna",
         "=Lena Fuchs", "=lena", "Lena_Fuchs", "nobody", "Jürgen Weiß"]
# Non-ASCII letters in another case than stored: SQLite's lower() (under its ILIKE) knows only ASCII, so the
# old query missed "MÜLLER" there; PostgreSQL's ILIKE and the name key agree.
TERMS_POSTGRESQL = ["MÜLLER", "ÖZTÜRK", "öz", "ZOË", "ẞtraße"]


@pytest.fixture
def names(runtime):
    """A certificate for each name, the first one the oldest."""
    now = datetime(2026, 11, 1, tzinfo=timezone.utc)
    ids = {}
    with runtime.session() as s:
        person_id, mailbox_id = holder_with_mailbox(s)
        for n, name in enumerate(NAMES):
            cert = Certificate(person_id=person_id, mailbox_id=mailbox_id, status="issued",
                               profile="personal" if name else "functional",
                               common_name=name, key_algorithm="RSA-2048", csr_pem="-",
                               spki_sha256=f"{n:064x}", created_at=now + timedelta(days=n))
            s.add(cert)
            s.flush()
            ids[cert.id] = name
        s.commit()
    return ids


def old_search(session, search: str) -> set[int]:
    """What the console found before: every term ILIKE on common_name (a name-only term
    searched no other column)."""
    conditions = [cast(Certificate.common_name, Unicode).ilike(tools.parse_like_term(term))
                  for term in search.split(" ") if term]
    return set(session.exec(select(Certificate.id).where(and_(*conditions))).all())


def new_search(session, search: str) -> tuple[int, list[int]]:
    names, others = _split_terms(search)
    assert names and not others, search  # every fixture term is a name term
    return count_and_ids(session, names, 0, 0)


def test_same_certificates_as_the_ilike_search(runtime, names):
    dialect = runtime.engine.dialect.name
    with runtime.session() as s:
        for term in TERMS + (TERMS_POSTGRESQL if dialect == "postgresql" else []):
            old = old_search(s, term)
            count, found = new_search(s, term)
            assert set(found) == old and count == len(old), (term, found, old)
            names_, _ = _split_terms(term)  # the semi-join of Flask-Admin's own path
            assert set(s.exec(select(Certificate.id).where(names_.certificate_ids())).all()) \
                == old, term
        # and the fixture is not trivial: both orders, umlauts and ß find something
        assert {names[i] for i in new_search(s, "Fuchs Lena")[1]} == {
            "Lena Fuchs", "Helena Fuchs", "Fuchs Lena"}
        assert {names[i] for i in new_search(s, "Strauß")[1]} == {"Lena Strauß"}
        assert {names[i] for i in new_search(s, "Muller")[1]} == {"Paul Muller"}  # no folding


def test_ranked_name_as_typed_then_whole_words_then_word_starts(runtime, names):
    with runtime.session() as s:
        _count, found = new_search(s, "Lena Fuchs")
        # "Fuchs Lena" is newer than "Lena Fuchs" but ranks after it; Helena last
        assert [names[i] for i in found] == ["Lena Fuchs", "Fuchs Lena", "Helena Fuchs"]
        _count, found = new_search(s, "Weiß")
        assert [names[i] for i in found] == ["Mia Schmidt-Weiß", "Zoë Weiß", "Greta Weißer"]
        names_, _ = _split_terms("Weiß")
        count, ids = count_and_ids(s, names_, 1, 2)  # page 2 of 2
        assert count == 3 and [names[i] for i in ids] == ["Greta Weißer"]
        assert count_and_ids(s, names_, 5, 2) == (3, [])  # past the end
        # the list page's statement: the ranked page joined to the listed columns
        total, rows = listed_page(s, *ranked_page(names_, 1, 2))
        assert total == 3 and [names[row.id] for row in rows] == ["Greta Weißer"]
        assert listed_page(s, *ranked_page(names_, 5, 2)) == (None, [])


def test_the_app_keeps_the_name_table(runtime, names):
    with runtime.session() as s:
        keys = dict(s.exec(select(CertificateName.certificate_id, CertificateName.name_key)).all())
        assert keys == {i: name.lower() for i, name in names.items() if name}
        first = min(names)
        cert = s.get(Certificate, first)
        cert.common_name = "Lena Füchsin"
        s.commit()
        assert s.get(CertificateName, first).name_key == "lena füchsin"
        cert.common_name = None
        s.commit()
        assert s.get(CertificateName, first) is None


def test_migration_backfills_the_names(db_url):
    engine = make_engine(db_url)
    tables, owner, mailbox = holder_at(engine, "0011")
    with engine.begin() as connection:  # certificates as 0011 had them
        made = {name: insert(connection, tables["certificate"], person_id=owner,
                             mailbox_id=mailbox, public_id=f"p{n}", common_name=name,
                             spki_sha256=f"s{n}", status="issued", profile="personal",
                             key_algorithm="RSA-2048", origin="upload")
                for n, name in enumerate(["Jürgen MÜLLER", "ẞtraße Ayşe", None, ""])}
    migrate(engine, "head")
    with engine.begin() as connection:
        rows = dict(connection.execute(text(
            "SELECT certificate_id, name_key FROM certificate_name")).all())
        assert rows == {made["Jürgen MÜLLER"]: "jürgen müller",
                        made["ẞtraße Ayşe"]: "ßtraße ayşe"}
        if engine.dialect.name == "postgresql":  # trigram index; rows in name order
            assert connection.execute(text(
                "SELECT indexdef FROM pg_indexes WHERE indexname = "
                "'ix_certificate_name_key_trgm'")).scalar_one().count("gin_trgm_ops") == 1
            assert connection.execute(text(
                "SELECT indisclustered FROM pg_index WHERE indexrelid = "
                "'ix_certificate_name_key'::regclass")).scalar_one() is True
    engine.dispose()
