"""Fixtures shared by every test: databases (SQLite and PostgreSQL), the local CA, the app.

Tests that take the `runtime` (or anything built on it) run once per database. Under CI
(CI=true or RA_REQUIRE_ALL=1) an unreachable PostgreSQL fails those tests; locally they skip.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlmodel import SQLModel
from support import Browser, free_port, make_config, missing

import ra_console.models  # noqa: F401
from ra_console.adapters.runtime import build_runtime
from ra_console.pki import localca, revocation

PG_URL = os.environ.get("RA_TEST_DATABASE_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")
START = datetime(2026, 11, 2, 9, 0, 0, tzinfo=timezone.utc)


@dataclass
class Clock:
    """A controllable clock for the runtime."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(scope="session")
def ca_template(tmp_path_factory) -> Path:
    """One local CA for the whole run (RSA-2048 keeps it quick); tests get copies."""
    folder = tmp_path_factory.mktemp("ca-template") / "ca"
    localca.init_ca(folder, organization="Example University", country="DE",
                    pki_base_url="http://pki.uni.example.org", key_bits=2048, now=START
                    - timedelta(days=1))
    revocation.write_crl(folder, START)
    from ra_console.adapters.mail_signer import create_mail_signer
    from ra_console.pki.profiles import CertificateProfile

    create_mail_signer(
        {"pki.local_ca_path": str(folder), "mail.sender": "RA <ra-portal@uni.example.org>",
         "pki.base_url": "http://pki.uni.example.org",
         "mail.signing_cert": str(folder.parent / "mail-signer.crt"),
         "mail.signing_key": str(folder.parent / "mail-signer.key")},
        CertificateProfile(name="functional", validation="mailbox"), START)
    return folder


@pytest.fixture(scope="session")
def pg_url():
    """A private PostgreSQL database for this test run (created on the server named by
    RA_TEST_DATABASE_URL, dropped at the end), so parallel runs never collide."""
    try:
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        name = f"ra_test_{uuid.uuid4().hex[:12]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        yield None, str(exc).splitlines()[0]
        return
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False), None
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite'}"
    return request.getfixturevalue("postgresql_url")


@pytest.fixture
def postgresql_url(pg_url) -> str:
    """The run's private PostgreSQL database, emptied (tables and migration stamp)."""
    url, problem = pg_url
    if url is None:
        missing(f"PostgreSQL at {PG_URL} ({problem})")
    engine = create_engine(url)
    SQLModel.metadata.drop_all(engine)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
    return url


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def config_overrides() -> dict:
    """Override in a test module to change configuration keys."""
    return {}


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory) -> Path:
    """A SQLite database migrated once per run; `runtime` starts from a copy of it (running
    the migrations took a third of a second for every test)."""
    from ra_console.adapters.migrate import upgrade
    from ra_console.core.db import make_engine

    path = tmp_path_factory.mktemp("migrated") / "migrated.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as connection:  # everything in the file itself, not its WAL
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def migrated_postgresql(pg_url):
    """The run's PostgreSQL database migrated once, as a template: `runtime` recreates the
    run's database from it (CREATE DATABASE … TEMPLATE) instead of migrating each time."""
    from ra_console.adapters.migrate import upgrade

    url, problem = pg_url
    if url is None:
        missing(f"PostgreSQL at {PG_URL} ({problem})")
    template = f"{make_url(url).database}_migrated"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{template}"'))
    engine = create_engine(make_url(url).set(database=template))
    upgrade(engine)
    engine.dispose()

    def recreate() -> None:
        name = make_url(url).database
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))

    yield recreate
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)'))
    admin.dispose()


def _start_migrated(request, db_url: str) -> None:
    """Put a migrated copy where `runtime` will find it, when the database is one of the
    run's own (a fresh SQLite file, the run's PostgreSQL database); any other database
    (a test's private cluster) is migrated by `runtime` as before."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite" and url.database \
            and not Path(url.database).exists():
        shutil.copyfile(request.getfixturevalue("migrated_sqlite"), url.database)
    elif url.get_backend_name() == "postgresql" and db_url == request.getfixturevalue(
            "pg_url")[0]:
        request.getfixturevalue("migrated_postgresql")()


@pytest.fixture
def runtime(request, tmp_path, db_url, ca_template, clock, config_overrides):
    """A migrated database, a private copy of the CA, a frozen clock."""
    from ra_console.adapters.migrate import upgrade

    ca_dir = tmp_path / "ca"
    shutil.copytree(ca_template, ca_dir)
    for name in ("mail-signer.crt", "mail-signer.key"):
        shutil.copy2(ca_template.parent / name, tmp_path / name)
    _start_migrated(request, db_url)
    runtime = build_runtime(make_config(tmp_path, db_url, ca_dir, **config_overrides))
    runtime.clock = clock
    upgrade(runtime.engine)  # nothing left to do for a migrated copy
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def session(runtime):
    with runtime.session() as session:
        yield session


@pytest.fixture
def seeded(runtime):
    """The demo organisation, institutes and people."""
    from ra_console.usecases.demo import seed_demo

    with runtime.session() as session:
        seed_demo(session, idm_domains=runtime.config["organization.idm_domains"],
                  now=runtime.now())
        session.commit()
    return runtime


@pytest.fixture
def app(seeded):
    from ra_console.app import create_app

    app = create_app(runtime=seeded)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def browser(app):
    """An English-speaking browser (tests assert on English texts; German has its own)."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return Browser(client)


@pytest.fixture
def run_jobs(app):
    """Run every job sweep once, as `ra-console jobs run-once` does."""
    from ra_console.jobs.sweeps import run_once

    def run():
        with app.app_context():
            return run_once(app.extensions["ra_runtime"])
    return run


CONSENTS = {"name_and_mailbox": True, "data_processing": True, "directory_publication": True}


@pytest.fixture
def issue_directly(app, new_csr):
    """Request, send and issue (the job sweeps run once) a certificate of `username`
    (erika) through the services, no browser; returns its id. `mailbox` (a row) or
    `address` picks the mailbox, else the person's first one; `csr` (PEM) the key."""
    from sqlmodel import select

    from ra_console.jobs.sweeps import run_once
    from ra_console.models import Certificate, Mailbox, Person
    from ra_console.usecases.requests import create_request
    from ra_console.web.current import actor_for
    from ra_console.workflow.engine import fire

    runtime = app.extensions["ra_runtime"]

    def issue(mailbox=None, address: str | None = None, username: str = "erika",
              csr: bytes | None = None) -> int:
        with runtime.session() as s:
            who = s.exec(select(Person).where(Person.username == username)).one()
            mailboxes = s.exec(select(Mailbox).where(Mailbox.owner_id == who.id)).all()
            if mailbox is None:
                mailbox = next(m for m in mailboxes if address is None
                               or any(a.address == address for a in m.addresses))
            cert = create_request(s, runtime, actor_for(who, s), who,
                                  mailbox_public_id=mailbox.public_id, aliases=[],
                                  csr=csr or new_csr()[1], consents=CONSENTS)
            fire(s, cert, "submit", actor_for(who, s))
            s.commit()
            cert_id = cert.id
        with app.app_context():
            run_once(runtime)
        with runtime.session() as s:
            assert s.get(Certificate, cert_id).status == "issued"
        return cert_id
    return issue


@pytest.fixture(scope="session")
def new_csr():
    """A fresh key pair and its CSR (PEM bytes): `new_csr(bits=2048)` -> (key, pem);
    `new_csr(curve=ec.SECP256R1())` for an EC key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import NameOID

    def make(bits: int = 2048, exponent: int = 65537, der: bool = False, curve=None):
        key = (ec.generate_private_key(curve) if curve is not None
               else rsa.generate_private_key(public_exponent=exponent, key_size=bits))
        csr = (x509.CertificateSigningRequestBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ignored")]))
               .sign(key, hashes.SHA256()))
        encoding = serialization.Encoding.DER if der else serialization.Encoding.PEM
        return key, csr.public_bytes(encoding)
    return make


class MailSink:
    """A real SMTP server (aiosmtpd) on a loopback port; keeps (recipients, bytes)."""

    def __init__(self, port: int):
        self.port, self.messages, self._controller = port, [], None

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content))
        return "250 OK"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def mail_sink():
    """An SMTP server that is not started yet (for "server down, then up" tests)."""
    sink = MailSink(free_port())
    yield sink
    sink.stop()


@pytest.fixture
def smtp(mail_sink):
    mail_sink.start()
    return mail_sink


@pytest.fixture
def smtp_config(mail_sink) -> dict:
    """Config keys that send mail to the test's SMTP server: use in `config_overrides`."""
    return {"mail.catcher": False, "mail.server": "127.0.0.1", "mail.port": mail_sink.port}


@pytest.fixture
def request_certificate(browser, new_csr):
    """Request a certificate through the pages by CSR upload; sent unless send=False.
    Leaves `who` signed in; returns the request's public id."""
    import io

    def make(who: str = "erika", send: bool = True) -> str:
        browser.login(who)
        page = browser.get("/certificates/new").get_data(as_text=True)
        mailbox = re.search(r'name="mailbox" value="([^"]+)"', page).group(1)
        created = browser.submit("/certificates/new", {
            "mailbox": mailbox, "consent_name_and_mailbox": "y", "consent_data_processing": "y",
            "consent_directory_publication": "y",
            "csr_file": (io.BytesIO(new_csr()[1]), "r.csr"),
        }, content_type="multipart/form-data")
        assert created.status_code == 302, created.get_data(as_text=True)[:2000]
        public_id = created.headers["Location"].rsplit("/", 1)[-1]
        if send:
            assert browser.submit(f"/certificates/{public_id}/submit").status_code == 302
        return public_id
    return make
