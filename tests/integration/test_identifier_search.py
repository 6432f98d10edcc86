"""The console's search by serial, key fingerprint and reference id through the identifier
table (migration 0018): the same certificates as Flask-Admin's ILIKE on the certificate's
columns found before it; the table kept by the app in one statement per flush and
backfilled by the migration (SQLite and PostgreSQL). The search by address: the same
certificates as the ILIKE on the addresses, a prefix on the B-tree (migration 0019)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from flask_admin.contrib.sqla import tools
from sqlalchemy import Unicode, and_, cast, event, or_, text
from sqlmodel import select
from support import holder_with_mailbox

from ra_console.console import views
from ra_console.core.db import make_engine
from ra_console.models import Certificate, CertificateIdentifier, MailboxAddress
from ra_console.models.certificate_identifier import IDENTIFIERS
from tests.integration.test_migration_0007 import holder_at, insert, migrate

# (name, serial): a name of hex letters only ("Abe", "Bea") and a serial holding it, so a
# term like "abe" must find both; a request without a serial yet
CERTIFICATES = [("Abe Fuchs", "1abe2200c3"), ("Bea Dacbe", "77f00d"), ("Lena Weiß", "abe"),
                (None, "c0ffee0123456789"), ("Max Muster", None)]


def make_certificates(runtime) -> dict[int, Certificate]:
    """The certificates above, in one mailbox without addresses (no address matches)."""
    now = datetime(2026, 11, 1, tzinfo=timezone.utc)
    with runtime.session() as s:
        person_id, mailbox_id = holder_with_mailbox(s)
        certs = [Certificate(person_id=person_id, mailbox_id=mailbox_id,
                             status="issued" if serial else "sent", profile="personal",
                             common_name=name, key_algorithm="RSA-2048", csr_pem="-",
                             spki_sha256=f"{n:02x}" * 32, serial=serial,
                             created_at=now + timedelta(days=n))
                 for n, (name, serial) in enumerate(CERTIFICATES)]
        s.add_all(certs)
        s.commit()
        return {cert.id: cert for cert in certs}


def identifiers(session) -> set[tuple[int, str, str]]:
    return set(session.exec(select(CertificateIdentifier.certificate_id,
                                   CertificateIdentifier.kind,
                                   CertificateIdentifier.value)).all())


def expected(certs) -> set[tuple[int, str, str]]:
    return {(i, kind, getattr(c, kind)) for i, c in certs.items()
            for kind in IDENTIFIERS if getattr(c, kind)}


def test_the_app_keeps_the_identifiers_in_one_statement_per_flush(runtime):
    certs = make_certificates(runtime)
    statements = []
    event.listen(runtime.engine, "before_cursor_execute",
                 lambda conn, cursor, statement, *rest: statements.append(statement))
    with runtime.session() as s:
        assert identifiers(s) == expected(certs)
        # issuing two certificates in one flush: one INSERT for both serials
        unissued = [s.get(Certificate, i) for i, c in certs.items() if c.serial is None]
        unissued.append(s.get(Certificate, next(i for i, c in certs.items() if c.serial)))
        unissued[0].serial = "5e1a1"
        statements.clear()
        unissued[1].serial = "abcdef"  # a changed serial (none changes today) is followed
        s.commit()
        writes = [st for st in statements if "certificate_identifier" in st]
        assert len([st for st in writes if st.lstrip().upper().startswith("INSERT")]) == 1
        certs = {i: s.get(Certificate, i) for i in certs}
        assert identifiers(s) == expected(certs)
        assert ("serial", "abcdef") in {(k, v) for _i, k, v in identifiers(s)}


def old_search(session, search: str) -> set[int]:
    """What the console found before: each term ILIKE on any of the searched columns of the
    certificate (the mailbox has no addresses, so no address matches)."""
    conditions = [or_(*[cast(column, Unicode).ilike(tools.parse_like_term(term))
                        for column in (Certificate.common_name, Certificate.serial,
                                       Certificate.spki_sha256, Certificate.public_id)])
                  for term in search.split(" ") if term]
    return set(session.exec(select(Certificate.id).where(and_(*conditions))).all())


@pytest.mark.parametrize("ids_max", [2000, 1], ids=["ids", "semi-join"])
def test_same_certificates_as_the_ilike_search(runtime, browser, monkeypatch, ids_max):
    """Both ways of passing a term's certificates on: their ids, or (a term that finds
    more than IDS_MAX) the semi-join."""
    monkeypatch.setattr(views, "IDS_MAX", ids_max)
    certs = make_certificates(runtime)
    first = next(iter(certs.values()))
    public, spki = first.public_id, first.spki_sha256
    terms = ["abe", "ABE", "^abe", "=abe", "1abe", "Abe 1abe", "bea", "dacbe", "c0ffee",
             "0123", "f00d", "^77f", "=77f00d", public[9:13], public[9:13].upper(),
             public[7:15], public, public.upper(), spki, spki[10:30], "^" + spki[:6],
             spki + "0", "Weiß", "lena", "Muster", "5e1a1", "zzz-no-such", "e-a"]
    browser.login("admin")
    with runtime.session() as s:
        for term in terms:
            old = old_search(s, term)
            page = browser.get("/console/certificates/?search=" + quote(term)).get_data(
                as_text=True)
            shown = {i for i, c in certs.items() if c.public_id in page}
            count = re.search(r"List \((\d+)\)", page)
            assert shown == old and int(count.group(1) if count else 0) == len(old), (
                term, shown, old)
        # and the fixture is not trivial: a hex word finds a name and a serial of
        # another certificate, part of an id finds its certificate
        assert {certs[i].serial for i in old_search(s, "abe")} == {"1abe2200c3", "abe"}
        assert old_search(s, public[7:15]) == {first.id}


def test_migration_backfills_the_identifiers_and_lightens_the_certificate(db_url):
    engine = make_engine(db_url)
    tables, owner, mailbox = holder_at(engine, "0017")
    with engine.begin() as connection:  # certificates as 0017 had them
        made = {serial: (insert(connection, tables["certificate"], person_id=owner,
                                mailbox_id=mailbox, public_id=public_id, serial=serial,
                                spki_sha256=f"{n:064x}", status="issued", profile="personal",
                                key_algorithm="RSA-2048", origin="upload"), public_id, n)
                for n, (serial, public_id) in enumerate(
                    [("4a3f", str(uuid.uuid4())), (None, str(uuid.uuid4()))])}
    migrate(engine, "head")
    with engine.begin() as connection:
        rows = set(connection.execute(text(
            "SELECT certificate_id, kind, value FROM certificate_identifier")).all())
        assert rows == {row for serial, (i, public_id, n) in made.items() for row in (
            (i, "public_id", public_id), (i, "spki_sha256", f"{n:064x}"),
            *([(i, "serial", serial)] if serial else []))}
        indexes = {ix["name"]: ix for ix in sa.inspect(connection).get_indexes("certificate")}
        assert not any(name.endswith("_trgm") for name in indexes)
        assert "ix_certificate_status" not in indexes
        assert "ix_certificate_status_not_after" in indexes
        if engine.dialect.name == "postgresql":  # trigram index; scheduled revocations only
            assert connection.execute(text(
                "SELECT indexdef FROM pg_indexes WHERE indexname = "
                "'ix_certificate_identifier_value_trgm'")).scalar_one().count(
                    "gin_trgm_ops") == 1
            assert "WHERE (offboard_at IS NOT NULL)" in connection.execute(text(
                "SELECT indexdef FROM pg_indexes WHERE indexname = "
                "'ix_certificate_offboard_at'")).scalar_one()
    engine.dispose()


ADDRESSES = ["erika.extra@uni.example.org", "erik_a@inst.example.org", "staff1020@example.org",
             "staff102@example.org"]


def address_search(session, pattern: str) -> set[int]:
    """What the console found before migration 0019: ILIKE on the addresses."""
    return set(session.exec(select(Certificate.id).where(Certificate.mailbox_id.in_(
        select(MailboxAddress.mailbox_id).where(MailboxAddress.address.ilike(pattern))))).all())


def test_address_search_same_certificates_as_the_ilike(runtime, browser):
    """A certificate per address (each its own holder and mailbox); a prefix or an exact
    term in any case, with LIKE's wildcards, and a part of an address: what the ILIKE found."""
    now = datetime(2026, 11, 1, tzinfo=timezone.utc)
    with runtime.session() as s:
        certs = {}
        for n, address in enumerate(ADDRESSES):
            person_id, mailbox = holder_with_mailbox(s, f"holder{n}")
            s.add(MailboxAddress(mailbox_id=mailbox, address=address, display=address))
            cert = Certificate(person_id=person_id, mailbox_id=mailbox, status="issued",
                               profile="personal", key_algorithm="RSA-2048", csr_pem="-",
                               spki_sha256=f"{n:064x}", addresses=[address],
                               created_at=now + timedelta(days=n))
            s.add(cert)
            s.flush()
            certs[cert.id] = cert
        s.commit()
    terms = ["^erika", "^ERIKA.Extra", "^erik_", "^erik%a", "=erika.extra@uni.example.org",
             "=ERIKA.EXTRA@UNI.EXAMPLE.ORG", "=erika", "^staff102", "^staff1020",
             "=staff102@example.org", "inst.example", "STAFF102@Example", "^nobody", "^_"]
    browser.login("admin")
    with runtime.session() as s:
        for term in terms:
            old = address_search(s, tools.parse_like_term(term))
            page = browser.get("/console/certificates/?search=" + quote(term)).get_data(
                as_text=True)
            shown = {i for i, c in certs.items() if c.public_id in page}
            assert shown == old, (term, shown, old)
        # not trivial: a prefix in capitals, "_" as LIKE's one character, exact vs prefix
        assert len(address_search(s, "ERIKA%")) == 1
        assert len(address_search(s, "erik_%")) == 2
        assert len(address_search(s, "staff102%")) == 2


def test_address_prefix_is_a_btree_range(postgresql_url):
    """On PostgreSQL, after the migrations, the prefix is served by the pattern B-tree (no
    trigram scan): with sequential and bitmap scans off, only that index can answer it."""
    engine = make_engine(postgresql_url)
    migrate(engine, "head")
    query = views._address_certificates("staff102%").compile(
        engine, compile_kwargs={"literal_binds": True})
    with engine.begin() as connection:
        connection.execute(text("SET LOCAL enable_seqscan = off"))
        connection.execute(text("SET LOCAL enable_bitmapscan = off"))
        plan = "\n".join(connection.execute(text(f"EXPLAIN {query}")).scalars())
    engine.dispose()
    assert "Index Scan using ix_mailbox_address_address_prefix" in plan, plan
