"""The whole user flow through the test client: request by CSR upload, send, issue, download,
revoke — on SQLite and PostgreSQL, with the job sweeps run in between."""

from __future__ import annotations

import io
import re

from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs7
from sqlmodel import select

from ra_console.models import AuditEvent, Certificate, OutboxMessage
from ra_console.workflow.audit import verify_chain

ERIKA = "erika.mustermann@uni.example.org"


def _request(browser, csr_pem: bytes, **extra):
    page = browser.get("/certificates/new").get_data(as_text=True)
    mailbox = re.search(r'name="mailbox" value="([^"]+)"', page).group(1)
    data = {
        "mailbox": mailbox, "key_algorithm": "RSA-2048",
        "consent_name_and_mailbox": "y", "consent_data_processing": "y",
        "consent_directory_publication": "y",
        "csr_file": (io.BytesIO(csr_pem), "request.csr"),
    }
    data.update(extra)
    return browser.submit("/certificates/new", data, content_type="multipart/form-data")


def _public_id(response) -> str:
    return response.headers["Location"].rsplit("/", 1)[-1]


def test_whole_flow(browser, run_jobs, new_csr, runtime):
    browser.login("erika")
    home = browser.get("/certificates", follow_redirects=True)
    assert home.status_code == 200
    key, csr = new_csr()
    created = _request(browser, csr)
    assert created.status_code == 302, created.get_data(as_text=True)
    public_id = _public_id(created)

    view = browser.get(f"/certificates/{public_id}").get_data(as_text=True)
    assert ERIKA in view
    assert "CN=Erika Mustermann" in view and "O=Example University" in view
    assert "RSA-2048" in view

    sent = browser.submit(f"/certificates/{public_id}/submit")
    assert sent.status_code == 302
    with runtime.session() as s:
        cert = s.exec(select(Certificate).where(Certificate.public_id == public_id)).one()
        assert cert.status == "sent"
    listing = browser.get("/certificates").get_data(as_text=True)
    assert 'class="icon icon-hourglass' in listing

    run_jobs()
    with runtime.session() as s:
        cert = s.exec(select(Certificate).where(Certificate.public_id == public_id)).one()
        assert cert.status == "issued"
        leaf = x509.load_pem_x509_certificate(cert.cert_pem.encode())
        assert leaf.public_key() == key.public_key()
        assert [f for f in cert.lint_findings if f["severity"] in ("ERROR", "WARNING")] == []
    assert 'class="icon icon-check' in browser.get("/certificates").get_data(as_text=True)

    p7b = browser.get(f"/certificates/{public_id}/download/p7b-der")
    assert p7b.status_code == 200
    certs = pkcs7.load_der_pkcs7_certificates(p7b.data)
    assert leaf in certs and len(certs) == 3
    chain = browser.get(f"/certificates/{public_id}/download/pem")
    assert chain.data.count(b"BEGIN CERTIFICATE") == 3

    revoked = browser.submit(f"/certificates/{public_id}/revoke", {"reason": "superseded"})
    assert revoked.status_code == 302
    run_jobs()
    with runtime.session() as s:
        cert = s.exec(select(Certificate).where(Certificate.public_id == public_id)).one()
        assert cert.status == "revoked" and cert.revocation_reason == "superseded"
        kinds = sorted(m.kind for m in s.exec(select(OutboxMessage)).all())
        assert kinds == ["ca.revoke", "ca.submit", "mail", "mail", "mail"]
        assert all(m.state == "done" for m in s.exec(select(OutboxMessage)).all())
        triggers = [e.trigger for e in s.exec(
            select(AuditEvent).where(AuditEvent.entity_id == public_id).order_by(AuditEvent.seq))]
        assert triggers == ["create", "submit", "issue", "revoke"]
        assert verify_chain(s).ok
    crl = x509.load_der_x509_crl(browser.get("/pki/ra-issuing.crl").data)
    assert crl.get_revoked_certificate_by_serial_number(leaf.serial_number) is not None

