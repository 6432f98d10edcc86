#!/usr/bin/env python3
"""Mails per second through the outbox to a local SMTP server (aiosmtpd on loopback),
signed (S/MIME) as in production. Usage: .venv/bin/python bench/mail_rate.py [N] [DB-URL]

Makes N issued-certificate notices for N people on a fresh database (default SQLite in a
temporary folder; pass a PostgreSQL URL to measure there), then times the outbox drain."""

from __future__ import annotations

import socket
import sys
import tempfile
import time
from pathlib import Path

from aiosmtpd.controller import Controller
from sqlmodel import select

from ra_console.adapters import outbox
from ra_console.adapters.mail_signer import create_mail_signer
from ra_console.adapters.migrate import upgrade
from ra_console.adapters.runtime import build_runtime
from ra_console.app import create_app
from ra_console.core.config import load_config
from ra_console.jobs.sweeps import drain_outbox
from ra_console.models import Certificate, Mailbox, Person
from ra_console.pki import localca
from ra_console.usecases.demo import seed_demo
from ra_console.workflow.actor import SYSTEM
from ra_console.workflow.engine import create


class Sink:
    count = 0

    async def handle_DATA(self, server, session, envelope):
        Sink.count += 1
        return "250 OK"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    folder = Path(tempfile.mkdtemp(prefix="ra-mail-bench-"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = load_config(environ={}, overrides={
        "instance_path": str(folder), "database_url": sys.argv[2] if len(sys.argv) > 2 else "",
        "mail.catcher": False, "mail.server": "127.0.0.1", "mail.port": port,
        "jobs.batch_size": n})
    localca.init_ca(Path(config["pki.local_ca_path"]), organization="Example University",
                    country="DE", pki_base_url=config["pki.base_url"], key_bits=2048)
    runtime = build_runtime(config)
    create_mail_signer(config, runtime.profiles["functional"], runtime.now())
    upgrade(runtime.engine)
    with runtime.session() as session:
        seed_demo(session, idm_domains=config["organization.idm_domains"], now=runtime.now())
        erika = session.exec(select(Person).where(Person.username == "erika")).one()
        mailbox = session.exec(select(Mailbox).where(Mailbox.owner_id == erika.id)).one()
        cert = Certificate(person_id=erika.id, mailbox_id=mailbox.id, profile="personal",
                           addresses=["erika.mustermann@uni.example.org"], key_algorithm="RSA-2048",
                           csr_pem="-", spki_sha256="0" * 64)
        create(session, cert, SYSTEM)
        for i in range(n):  # distinct messages about one request: rendering, signing, SMTP
            outbox.enqueue(session, "mail", {"template": "request_received",
                                             "certificate": cert.public_id}, f"bench:{i}")
        session.commit()
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    app = create_app(runtime=runtime)
    try:
        with app.app_context():
            start = time.perf_counter()
            sent = drain_outbox(runtime)
            elapsed = time.perf_counter() - start
    finally:
        controller.stop()
        runtime.engine.dispose()
    assert sent == n == Sink.count, (sent, Sink.count)
    print(f"{n} signed mails through the outbox to a local SMTP server in {elapsed:.2f} s: "
          f"{n / elapsed:.1f} mails/s ({runtime.engine.dialect.name})")


if __name__ == "__main__":
    main()
