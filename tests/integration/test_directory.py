"""Directory publication against a real slapd (tests/slapd_server.py: a free loopback port,
its own temporary configuration and schema)."""

from __future__ import annotations

from datetime import timedelta

import ldap3
import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from slapd_server import ADMIN, PEOPLE, SECRET, Slapd, available, base_ldif
from sqlmodel import select
from support import missing

from ra_console.jobs.sweeps import drain_outbox, run_once
from ra_console.models import Certificate, OutboxMessage, Person
from ra_console.pki.pkcs7 import load_certificates, split_leaf
from ra_console.usecases import certificates as certs
from ra_console.usecases.directory_sync import sync
from ra_console.web.current import actor_for


@pytest.fixture(scope="module")
def slapd(tmp_path_factory):
    if not available():
        missing("slapd (Debian packages slapd, ldap-utils)")
    folder = tmp_path_factory.mktemp("slapd")
    server = Slapd(folder)
    server.configure()
    (folder / "base.ldif").write_text(base_ldif())
    server.load(folder / "base.ldif")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def people(slapd):
    """Erika as an inetOrgPerson (has userSMIMECertificate); Max as a pilotPerson with
    pkiUser (userCertificate only)."""
    with slapd.admin() as conn:
        conn.search(PEOPLE, "(objectClass=*)", search_scope=ldap3.LEVEL)
        for entry in list(conn.entries):
            conn.delete(entry.entry_dn)
        conn.add(f"uid=erika,{PEOPLE}", ["inetOrgPerson"],
                 {"cn": "Erika Mustermann", "sn": "Mustermann", "uid": "erika",
                  "mail": "erika.mustermann@uni.example.org"})
        conn.add(f"cn=Max Muster,{PEOPLE}", ["pilotPerson", "pkiUser"],
                 {"cn": "Max Muster", "sn": "Muster", "mail": "max.muster@uni.example.org"})
    return {"erika": f"uid=erika,{PEOPLE}", "max": f"cn=Max Muster,{PEOPLE}"}


@pytest.fixture
def config_overrides(slapd):
    return {"directory.enabled": True, "directory.url": slapd.url, "directory.bind_dn": ADMIN,
            "directory_bind_password": SECRET, "directory.base_dn": PEOPLE,
            "directory.timeout_seconds": 3}


def _issue(issue_directly, app, runtime, username: str) -> str:
    cert_id = issue_directly(username=username)
    with app.app_context():
        drain_outbox(runtime)  # the publication (a second outbox message)
    with runtime.session() as s:
        return s.get(Certificate, cert_id).public_id


def _cert(runtime, public_id) -> Certificate:
    with runtime.session() as s:
        return s.exec(select(Certificate).where(Certificate.public_id == public_id)).one()


def _der(cert: Certificate) -> bytes:
    return x509.load_pem_x509_certificate(cert.cert_pem.encode()).public_bytes(Encoding.DER)


def _values(slapd, dn) -> dict[str, list[bytes]]:
    with slapd.admin() as conn:
        conn.search(dn, "(objectClass=*)", search_scope=ldap3.BASE,
                    attributes=["userCertificate;binary", "userSMIMECertificate"])
        found = conn.entries[0].entry_attributes_as_dict
    return {k.split(";")[0]: [bytes(v) for v in vals] for k, vals in found.items() if vals}


def _revoke(runtime, public_id, reason="superseded"):
    with runtime.session() as s:
        cert = s.exec(select(Certificate).where(Certificate.public_id == public_id)).one()
        certs.revoke(s, cert, actor_for(s.get(Person, cert.person_id), s), reason,
                     runtime.now())
        s.commit()


def test_publish_on_issue(app, seeded, issue_directly, slapd, people):
    erika = _cert(seeded, _issue(issue_directly, app, seeded, "erika"))
    assert (erika.directory_state, erika.directory_dn) == ("published", people["erika"])
    values = _values(slapd, people["erika"])
    assert values["userCertificate"] == [_der(erika)]
    [smime] = values["userSMIMECertificate"]
    assert split_leaf(load_certificates(smime))[0].public_bytes(Encoding.DER) == _der(erika)

    max_ = _cert(seeded, _issue(issue_directly, app, seeded, "max"))
    values = _values(slapd, people["max"])
    assert values["userCertificate"] == [_der(max_)]
    assert "userSMIMECertificate" not in values  # pilotPerson + pkiUser: not in the schema


def test_unpublish_on_revocation_and_expiry(app, seeded, issue_directly, slapd, people, clock):
    erika_id = _issue(issue_directly, app, seeded, "erika")
    max_id = _issue(issue_directly, app, seeded, "max")
    _revoke(seeded, erika_id)
    with app.app_context():
        drain_outbox(seeded)
    assert _values(slapd, people["erika"]) == {}
    assert _cert(seeded, erika_id).directory_state == "removed"
    assert _values(slapd, people["max"])["userCertificate"]
    not_after = _cert(seeded, max_id).not_after
    clock.now = not_after.replace(tzinfo=clock.now.tzinfo) + timedelta(seconds=1)
    with app.app_context():
        run_once(seeded)  # expire (unpublish enqueued) ...
        drain_outbox(seeded)  # ... and carried out
    assert _cert(seeded, max_id).status == "expired"
    assert _values(slapd, people["max"]) == {}


def test_sync_finds_and_fixes_drift(app, seeded, issue_directly, slapd, people, monkeypatch):
    erika_id = _issue(issue_directly, app, seeded, "erika")
    seeded.config["directory.enabled"] = False  # max's is issued without publication
    max_id = _issue(issue_directly, app, seeded, "max")
    seeded.config["directory.enabled"] = True
    erika, max_ = _cert(seeded, erika_id), _cert(seeded, max_id)
    foreign = load_certificates(erika.chain_pem.encode())[0].public_bytes(Encoding.DER)
    with slapd.admin() as conn:  # drift: erika's removed by hand, a revoked one put back
        conn.modify(people["erika"], {"userCertificate;binary": [(ldap3.MODIFY_DELETE, [])],
                                      "userSMIMECertificate": [(ldap3.MODIFY_DELETE, [])]})
        conn.modify(people["max"], {"userCertificate;binary": [
            (ldap3.MODIFY_ADD, [foreign])]})
    _revoke(seeded, max_id)  # revoked while not published (directory was off for it) ...
    with slapd.admin() as conn:  # ... and somebody published it by hand anyway
        conn.modify(people["max"], {"userCertificate;binary": [(ldap3.MODIFY_ADD, [_der(max_)])]})

    report = sync(seeded, fix=False)
    kinds = sorted((d.kind, d.certificate) for d in report)
    assert ("missing", erika_id) in kinds and ("stale", max_id) in kinds
    assert [d.kind for d in report].count("foreign") == 1
    assert _values(slapd, people["erika"]) == {}  # a dry run changes nothing

    env = {"RA_DATABASE_URL": seeded.config["database_url"],
           "RA_INSTANCE_PATH": seeded.config["instance_path"],
           "RA_PKI_LOCAL_CA_PATH": seeded.config["pki.local_ca_path"],
           "RA_DIRECTORY_ENABLED": "true", "RA_DIRECTORY_URL": slapd.url,
           "RA_DIRECTORY_BIND_DN": ADMIN, "RA_DIRECTORY_BIND_PASSWORD": SECRET,
           "RA_DIRECTORY_BASE_DN": PEOPLE}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    from ra_console.cli.main import main

    result = CliRunner().invoke(main, ["directory", "sync"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "missing" in result.output and "stale" in result.output
    assert "3 difference(s) found and fixed" in result.output
    assert _values(slapd, people["erika"])["userCertificate"] == [_der(erika)]
    assert _values(slapd, people["max"])["userCertificate"] == [foreign]
    assert [d.kind for d in sync(seeded, fix=False)] == ["foreign"]
    assert _cert(seeded, max_id).directory_state == "removed"


def test_directory_down_is_retried(app, seeded, issue_directly, slapd, people, clock):
    slapd.stop()
    try:
        public_id = _issue(issue_directly, app, seeded, "erika")
        with seeded.session() as s:
            message = s.exec(select(OutboxMessage).where(
                OutboxMessage.kind == "directory.publish")).one()
        assert message.state == "pending" and message.attempts >= 1
        assert "DirectoryUnavailable" in message.last_error
        assert _cert(seeded, public_id).status == "issued"  # the certificate is not held up
    finally:
        slapd.start()
    clock.advance(seconds=seeded.config["jobs.backoff_max_seconds"])
    with app.app_context():
        drain_outbox(seeded)
    assert _cert(seeded, public_id).directory_state == "published"
    assert _values(slapd, people["erika"])["userCertificate"]
