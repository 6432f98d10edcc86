"""Names outside ASCII reach the certificate as UTF8String and lint clean."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from sqlmodel import select

from ra_console.jobs.sweeps import run_once
from ra_console.models import Certificate, Mailbox
from ra_console.pki.lint import lint_certificate
from ra_console.usecases.requests import create_request
from ra_console.usecases.signin import SignInIdentity, upsert_person
from ra_console.web.current import actor_for
from ra_console.workflow.engine import fire

CONSENTS = {"name_and_mailbox": True, "data_processing": True, "directory_publication": True}


def test_umlauts_and_accents_in_names(app, seeded, new_csr):
    identity = SignInIdentity("jgm", "Jürgen-Élodie", "Groß-Müller Ñúñez",
                              ("j.gross@uni.example.org",), ("employee",))
    with seeded.session() as s:
        person = upsert_person(s, identity, idm_domains=["uni.example.org"], now=seeded.now())
        mailbox = s.exec(select(Mailbox).where(Mailbox.owner_id == person.id)).one()
        actor = actor_for(person, s)
        cert = create_request(s, seeded, actor, person, mailbox_public_id=mailbox.public_id,
                              aliases=[], csr=new_csr()[1], consents=CONSENTS)
        fire(s, cert, "submit", actor)
        s.commit()
        cert_id = cert.id
    with app.app_context():
        run_once(seeded)
    with seeded.session() as s:
        leaf = x509.load_pem_x509_certificate(s.get(Certificate, cert_id).cert_pem.encode())
    cn = leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0]
    assert cn.value == "Jürgen-Élodie Groß-Müller Ñúñez"
    assert cn._type.name == "UTF8String"
    findings = lint_certificate(leaf.public_bytes(Encoding.DER))
    assert [f for f in findings if f.severity in ("FATAL", "ERROR", "WARNING")] == []
