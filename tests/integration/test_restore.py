"""The restore procedure of docs/deployment.md, step by step on PostgreSQL: pg_dump of a
database with an issued certificate, restore into a new database, `ra-console audit
verify`, the app serves in safe mode, and a job runner sends nothing."""

from __future__ import annotations

import shutil
import subprocess
import uuid

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, make_url, text
from sqlmodel import select
from support import missing

from ra_console.adapters.runtime import build_runtime
from ra_console.app import create_app
from ra_console.cli.main import main
from ra_console.jobs.sweeps import run_once
from ra_console.models import Certificate, OutboxMessage


@pytest.fixture
def db_url(postgresql_url):
    """PostgreSQL only: the procedure is pg_dump and pg_restore."""
    return postgresql_url


@pytest.fixture
def restored_url(postgresql_url):
    """An empty new database next to the test's own, dropped afterwards."""
    if shutil.which("pg_restore") is None:
        missing("pg_dump and pg_restore (postgresql-client)")
    url = make_url(postgresql_url)
    name = f"{url.database}_restored_{uuid.uuid4().hex[:6]}"
    admin = create_engine(postgresql_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _cli(env: dict, *args: str):
    return CliRunner(env=env).invoke(main, list(args), catch_exceptions=False)


def test_dump_restore_verify_and_serve_in_safe_mode(issue_directly, request_certificate,
                                                    seeded, restored_url, tmp_path,
                                                    mail_sink):
    issued_id = issue_directly()
    pending = request_certificate(who="max")  # sent; its CA call and mail wait in the outbox
    dump = tmp_path / "ra.dump"
    subprocess.run(["pg_dump", "-Fc", "-f", str(dump), libpq(seeded.config["database_url"])],
                   check=True)
    subprocess.run(["pg_restore", "--no-owner", "-d", libpq(restored_url), str(dump)],
                   check=True)

    # the restored copy: same instance folder (audit key, witness) and CA folder, its own
    # database, safe mode switched on, and an SMTP server that must hear nothing
    mail_sink.start()
    env = {"RA_INSTANCE_PATH": seeded.config["instance_path"], "RA_DATABASE_URL": restored_url,
           "RA_PKI_LOCAL_CA_PATH": seeded.config["pki.local_ca_path"], "RA_SAFE_MODE": "true"}
    verified = _cli(env, "audit", "verify")
    assert verified.exit_code == 0 and "audit chain intact" in verified.output, verified.output
    assert "database was up to date" in _cli(env, "db", "upgrade").output

    copy = build_runtime({**seeded.config, "database_url": restored_url, "safe_mode": True,
                          "mail.catcher": False, "mail.server": "127.0.0.1",
                          "mail.port": mail_sink.port})
    try:
        app = create_app(runtime=copy)
        client = app.test_client()
        assert client.get("/healthz/live").status_code == 200
        page = client.get("/pki/").get_data(as_text=True)
        assert 'id="safe-mode"' in page
        assert "safe mode is on" in _cli(env, "safe-mode", "status").output
        with app.app_context():
            run_once(copy)
            run_once(copy)
        with copy.session() as s:
            assert s.get(Certificate, issued_id).status == "issued"
            waiting = s.exec(select(Certificate).where(Certificate.public_id == pending)).one()
            assert waiting.status == "sent" and waiting.serial is None  # no CA call
            assert {m.state for m in s.exec(select(OutboxMessage).where(
                OutboxMessage.state != "done"))} == {"pending"}
        assert mail_sink.messages == []  # the runner sent nothing
        refused = _cli(env, "safe-mode", "lift")
        assert refused.exit_code != 0 and "RA_SAFE_MODE" in refused.output
    finally:
        copy.engine.dispose()
