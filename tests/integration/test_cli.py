"""The ra-console commands against real databases and a real instance folder."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect

from ra_console.cli.demo import prepare
from ra_console.cli.main import main


@pytest.fixture
def cli_env(tmp_path, db_url, monkeypatch):
    monkeypatch.setenv("RA_INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.setenv("RA_DATABASE_URL", db_url)
    return tmp_path / "inst"


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_db_upgrade_and_models_agree(cli_env, db_url):
    result = run("db", "upgrade")
    assert result.exit_code == 0, result.output
    engine = create_engine(db_url)
    try:
        tables = set(inspect(engine).get_table_names())
        from ra_console.adapters.migrate import differences
        assert differences(engine) == []
    finally:
        engine.dispose()
    assert {"certificate", "audit_event", "outbox", "mailbox"} <= tables
    assert "ran migration 0001: initial schema" in result.output
    assert "migration(s) ran" in result.output and "up to date" not in result.output
    again = run("db", "upgrade")  # idempotent, and says so
    assert again.exit_code == 0 and "ran migration" not in again.output
    assert "database was up to date: no migration ran" in again.output


def test_db_check_detects_a_model_without_migration(tmp_path):
    from sqlalchemy import Column, Integer, Table
    from sqlmodel import SQLModel

    assert run("db", "check", "--url", f"sqlite:///{tmp_path / 'a.sqlite'}").exit_code == 0
    extra = Table("not_migrated", SQLModel.metadata, Column("id", Integer, primary_key=True))
    try:
        result = CliRunner().invoke(main, ["db", "check", "--url",
                                           f"sqlite:///{tmp_path / 'b.sqlite'}"])
        assert result.exit_code == 1 and "not_migrated" in result.output
    finally:
        SQLModel.metadata.remove(extra)


def test_ca_init_keys_are_private_and_never_overwritten(cli_env):
    assert run("ca", "init").exit_code == 0
    ca = cli_env / "ca"
    for key in ("root.key", "issuing.key"):
        assert (ca / key).stat().st_mode & 0o777 == 0o600
    assert ca.stat().st_mode & 0o777 == 0o700
    assert (ca / "issuing.crl").exists()
    before = (ca / "issuing.key").read_bytes()
    again = CliRunner().invoke(main, ["ca", "init"])
    assert again.exit_code == 1 and "refusing to overwrite" in again.output
    assert (ca / "issuing.key").read_bytes() == before


def test_demo_prepare_is_idempotent_and_jobs_run_once(tmp_path, monkeypatch):
    instance = tmp_path / "demo"
    runtime = prepare(instance, "http://localhost:5000")
    runtime.engine.dispose()
    runtime = prepare(instance, "http://localhost:5000")
    from sqlmodel import select

    from ra_console.models import Institute, Person, RoleAssignment
    with runtime.session() as s:
        assert len(s.exec(select(Person)).all()) == 8
        assert [i.code for i in s.exec(select(Institute).order_by(Institute.code))] == [
            "ITC", "PHYS"]
        assert len(s.exec(select(RoleAssignment)).all()) == 5
    runtime.engine.dispose()
    assert (instance / "ca" / "ca.json").exists()
    monkeypatch.setenv("RA_INSTANCE_PATH", str(instance))
    monkeypatch.setenv("RA_AUTH_MODE", "dev")
    monkeypatch.setenv("RA_DEMO", "true")
    result = run("jobs", "run-once")
    assert result.exit_code == 0 and "drain_outbox: 0" in result.output


def test_console_script_is_installed():
    import sys

    exe = Path(sys.executable).with_name("ra-console")  # the venv running the tests
    assert exe.exists(), "install the project (scripts/setup-venv): no ra-console script"
    out = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=True)
    for command in ("demo", "db", "workflow", "audit", "ca", "jobs"):
        assert command in out.stdout


def test_admin_grant_creates_the_first_ra_admin_audited(cli_env, db_url):
    from sqlmodel import Session, select

    from ra_console.models import AuditEvent, Person, RoleAssignment

    assert run("db", "upgrade").exit_code == 0
    result = run("admin", "grant", "jdoe@uni.example.org", "ra_admin")
    assert result.exit_code == 0 and "granted ra_admin to jdoe@uni.example.org" in result.output
    again = run("admin", "grant", "jdoe@uni.example.org", "ra_admin")
    assert again.exit_code == 0 and "already holds ra_admin" in again.output
    engine = create_engine(db_url)
    try:
        with Session(engine) as s:
            person = s.exec(select(Person)).one()
            assert person.username == "jdoe@uni.example.org"
            assert [(r.role, r.institute_id) for r in s.exec(select(RoleAssignment))] == [
                ("ra_admin", None)]
            [event] = s.exec(select(AuditEvent).where(AuditEvent.trigger == "role_granted"))
            assert event.actor.startswith("cli:") and event.data["role"] == "ra_admin"
    finally:
        engine.dispose()


@pytest.mark.parametrize("args, message", [
    (["someone", "superuser"], "unknown role 'superuser'"),
    (["someone", "network_contact"], "network_contact needs --institute"),
    (["someone", "ra_admin", "--institute", "ITC"], "network_contact needs --institute"),
    (["someone", "network_contact", "--institute", "NOPE"], "no institute with the code"),
])
def test_admin_grant_refuses_with_a_reason(cli_env, args, message):
    assert run("db", "upgrade").exit_code == 0
    result = CliRunner().invoke(main, ["admin", "grant", *args])
    assert result.exit_code == 1 and message in result.output


@pytest.fixture
def installed(cli_env, ca_template, monkeypatch):
    """An instance as the deployment guide leaves it: local CA, mail signer, schema."""
    import shutil

    shutil.copytree(ca_template, cli_env / "ca")
    for name in ("mail-signer.crt", "mail-signer.key"):
        shutil.copy2(ca_template.parent / name, cli_env / name)
    monkeypatch.setenv("RA_SECRET_KEY", "k" * 40)
    return cli_env


def test_config_check_passes_on_a_complete_installation(installed, smtp, monkeypatch):
    monkeypatch.setenv("RA_MAIL_PORT", str(smtp.port))
    assert run("db", "upgrade").exit_code == 0
    result = run("config", "check")
    assert result.exit_code == 0, result.output
    assert "OK    database_url: reachable, migrations current" in result.output
    assert f"OK    mail.server: 127.0.0.1:{smtp.port} answers" in result.output
    assert "OK    local CA:" in result.output and "configuration check passed" in result.output
    assert "WARN  RA_PROXY_SECRET" in result.output  # header mode, the default


def test_config_check_names_every_problem(installed, monkeypatch):
    from support import free_port

    monkeypatch.setenv("RA_MAIL_PORT", str(free_port()))  # nobody listens
    monkeypatch.setenv("RA_DIRECTORY_ENABLED", "true")
    monkeypatch.setenv("RA_DIRECTORY_URL", f"ldap://127.0.0.1:{free_port()}")
    monkeypatch.setenv("RA_DIRECTORY_BIND_DN", "cn=ra,dc=uni,dc=example,dc=org")
    result = CliRunner().invoke(main, ["config", "check"])  # no db upgrade either
    assert result.exit_code == 1
    for line in ("migrations not applied: run ra-console db upgrade",
                 "FAIL  mail.server: 127.0.0.1:", "FAIL  directory.url: ldap://127.0.0.1:",
                 "FAIL  RA_DIRECTORY_BIND_PASSWORD: missing: directory.bind_dn is set"):
        assert line in result.output, result.output
    assert "4 problem(s)" in result.output
