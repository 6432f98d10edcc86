"""The local CA writes what it is about to sign before it signs (issued.jsonl, fsynced),
and reconciliation finds a certificate signed by a process that died before its commit:
the serial is revoked on the CRL, the RA admins are told, the OCSP responder knows it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from sqlmodel import select

from ra_console.adapters.ca.local import SLEEP_AFTER_SIGNING
from ra_console.jobs.sweeps import run_once
from ra_console.models import Certificate, Mailbox, OutboxMessage, Person
from ra_console.pki import issuance_log
from ra_console.pki.revocation import load_revoked
from ra_console.usecases.local_ca import reconcile_issuance
from ra_console.usecases.requests import create_request
from ra_console.web.current import actor_for
from ra_console.workflow.engine import fire

CONSENTS = {"name_and_mailbox": True, "data_processing": True, "directory_publication": True}
EXE = Path(sys.executable).with_name("ra-console")


def _send_request(runtime, new_csr, username: str = "erika") -> int:
    with runtime.session() as s:
        who = s.exec(select(Person).where(Person.username == username)).one()
        mailbox = s.exec(select(Mailbox).where(Mailbox.owner_id == who.id)).first()
        cert = create_request(s, runtime, actor_for(who, s), who,
                              mailbox_public_id=mailbox.public_id, aliases=[],
                              csr=new_csr()[1], consents=CONSENTS)
        fire(s, cert, "submit", actor_for(who, s))
        s.commit()
        return cert.id


def _runner_env(runtime) -> dict:
    config = runtime.config
    env = {k: v for k, v in os.environ.items() if not k.startswith("RA_")}
    env.update({"RA_INSTANCE_PATH": config["instance_path"],
                "RA_DATABASE_URL": config["database_url"],
                "RA_PKI_LOCAL_CA_PATH": config["pki.local_ca_path"],
                "RA_MAIL_SIGNING_CERT": config["mail.signing_cert"],
                "RA_MAIL_SIGNING_KEY": config["mail.signing_key"], "RA_MAIL_CATCHER": "true",
                SLEEP_AFTER_SIGNING: "300"})
    return env


def _states(folder: Path) -> dict[int, str]:
    return {serial: r.state for serial, r in issuance_log.load_records(folder).items()}


def test_a_normal_issuance_is_recorded_before_and_completed_after(issue_directly, app,
                                                                   seeded):
    folder = Path(seeded.config["pki.local_ca_path"])
    with seeded.session() as s:
        cert = s.get(Certificate, issue_directly())
    serial = int(cert.serial, 16)
    lines = [json.loads(line) for line in (folder / "issued.jsonl").read_text().splitlines()
             if json.loads(line)["serial"] == cert.serial]
    assert [line["state"] for line in lines] == ["pending", "signed"]
    leaf = x509.load_pem_x509_certificate(cert.cert_pem.encode())
    assert lines[0]["spki_sha256"] == issuance_log.spki_sha256(leaf.public_key())
    assert lines[0]["subject"] == leaf.subject.rfc4514_string()
    assert lines[0]["profile"] == cert.profile
    result = reconcile_issuance(seeded)  # the job runner's start-up
    assert (result.completed, result.lost) == (1, [])
    assert _states(folder)[serial] == "complete"
    assert reconcile_issuance(seeded) == result.__class__(0, [])


def test_a_process_killed_between_signing_and_commit_is_reconciled(app, seeded, new_csr,
                                                                    clock):
    folder = Path(seeded.config["pki.local_ca_path"])
    cert_id = _send_request(seeded, new_csr)
    before = set(_states(folder))
    runner = subprocess.Popen([str(EXE), "jobs", "run-once"], env=_runner_env(seeded),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not any(state == "signed" for serial, state in _states(folder).items()
                      if serial not in before):
            assert time.monotonic() < deadline and runner.poll() is None, "never signed"
            time.sleep(0.2)
    finally:
        runner.send_signal(signal.SIGKILL)
        runner.wait(timeout=30)
    (lost_serial,) = set(_states(folder)) - before
    with seeded.session() as s:
        assert s.get(Certificate, cert_id).cert_pem is None  # the commit never happened

    clock.now = datetime.now(timezone.utc)
    assert reconcile_issuance(seeded).lost == []  # too young: a commit may be on its way
    clock.now = datetime.now(timezone.utc) + timedelta(minutes=11)
    result = reconcile_issuance(seeded)
    assert result.lost == [format(lost_serial, "x")]
    assert _states(folder)[lost_serial] == "lost"
    assert lost_serial in {e.serial for e in load_revoked(folder)}
    crl = x509.load_der_x509_crl((folder / "issuing.crl").read_bytes())
    assert crl.get_revoked_certificate_by_serial_number(lost_serial) is not None
    with seeded.session() as s:
        (alert,) = s.exec(select(OutboxMessage).where(
            OutboxMessage.kind == "mail.issuance_lost")).all()
        assert alert.payload["serial"] == format(lost_serial, "x")

    with app.app_context():
        run_once(seeded)  # delivers the alert; the request is signed again
    mail_folder = Path(seeded.config["instance_path"]) / "mail"
    delivered = "\n".join(p.read_text(errors="replace") for p in mail_folder.rglob("*")
                          if p.is_file())
    assert format(lost_serial, "x") in delivered and "never recorded" in delivered
    with seeded.session() as s:
        again = s.get(Certificate, cert_id)
        assert again.status == "issued" and int(again.serial, 16) != lost_serial
