"""Helpers for the fault tests: a mail sink, job-runner processes, request factories."""

from __future__ import annotations

import email
import os
import re
import subprocess
import sys
import time
from email import policy
from pathlib import Path

from sqlmodel import select

from ra_console.models import AuditEvent, Certificate, Mailbox, OutboxMessage
from ra_console.usecases.requests import create_request
from ra_console.web.current import actor_for
from ra_console.workflow.audit import verify_chain
from ra_console.workflow.engine import fire

COUNT = 24
CONSENTS = {"name_and_mailbox": True, "data_processing": True, "directory_publication": True}
EXE = Path(sys.executable).with_name("ra-console")


def runner_env(runtime, smtp_port) -> dict:
    config = runtime.config
    env = {k: v for k, v in os.environ.items() if not k.startswith("RA_")}
    env.update({
        "RA_INSTANCE_PATH": config["instance_path"], "RA_DATABASE_URL": config["database_url"],
        "RA_PKI_LOCAL_CA_PATH": config["pki.local_ca_path"],
        "RA_MAIL_SIGNING_CERT": config["mail.signing_cert"],
        "RA_MAIL_SIGNING_KEY": config["mail.signing_key"], "RA_MAIL_SERVER": "127.0.0.1",
        "RA_MAIL_PORT": str(smtp_port), "RA_JOBS_INTERVAL_SECONDS": "1",
        "RA_JOBS_BATCH_SIZE": "5", "RA_SECRET_KEY": config["secret_key"],
    })
    return env


def start_runner(env) -> subprocess.Popen:
    """A job runner process; its output goes to a runner-*.log (log_path) in the instance
    folder."""
    log = Path(env["RA_INSTANCE_PATH"]) / f"runner-{time.monotonic_ns()}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as handle:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen([str(EXE), "jobs", "run"], env=env, stdout=handle,
                                   stderr=subprocess.STDOUT)
    process.log_path = log
    return process


def handled_by(runner: subprocess.Popen) -> int:
    """Outbox messages a runner says it handled (the sweep lines of its log)."""
    return sum(int(n) for n in re.findall(r"sweep drain_outbox: (\d+)",
                                          runner.log_path.read_text()))


def make_requests(runtime, new_csr) -> None:
    """COUNT sent requests by COUNT people (each their own IdM mailbox)."""
    from ra_console.usecases.signin import SignInIdentity, upsert_person
    with runtime.session() as s:
        for i in range(COUNT):
            identity = SignInIdentity(f"user{i}", "Test", f"Person{i}",
                                      (f"user{i}@uni.example.org",), ("employee",))
            person = upsert_person(s, identity, idm_domains=["uni.example.org"],
                                   now=runtime.now())
            mailbox = s.exec(select(Mailbox).where(Mailbox.owner_id == person.id)).one()
            actor = actor_for(person, s)
            cert = create_request(s, runtime, actor, person, mailbox_public_id=mailbox.public_id,
                                  aliases=[], csr=new_csr()[1], consents=CONSENTS)
            fire(s, cert, "submit", actor)
        s.commit()


def issued(runtime) -> int:
    with runtime.session() as s:
        return len(s.exec(select(Certificate).where(Certificate.status == "issued")).all())


def wait_for(condition, timeout=90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def outbox_settled(runtime) -> bool:
    with runtime.session() as s:
        return not s.exec(select(OutboxMessage).where(OutboxMessage.state != "done")).all()


def check_outcome(runtime, inbox) -> None:
    with runtime.session() as s:
        certs = s.exec(select(Certificate)).all()
        holders = {address for cert in certs for address in cert.addresses}
        assert len(certs) == COUNT and {c.status for c in certs} == {"issued"}
        for cert in certs:
            issues = s.exec(select(AuditEvent).where(AuditEvent.entity_id == cert.public_id,
                                                     AuditEvent.trigger == "issue")).all()
            assert len(issues) == 1
        mails = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "mail")).all()
        assert len(mails) == 2 * COUNT and {m.state for m in mails} == {"done"}
        assert verify_chain(s).ok
    # the requesters' mails (an alert to the RA admins, e.g. about the test CA's old CRL,
    # is not one of them)
    ids = [email.message_from_bytes(content, policy=policy.default)["Message-ID"]
           for to, content in inbox.messages if set(to) & holders]
    assert len(set(ids)) == 2 * COUNT  # every mail arrived ...
    assert len(ids) - len(set(ids)) <= 2  # ... again at most for the batch in flight
