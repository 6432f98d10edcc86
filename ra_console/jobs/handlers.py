"""Outbox handlers: the I/O behind each kind of outbox message."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import current_app
from sqlmodel import Session, select

from ..models import Certificate, OutboxMessage, Person
from ..pki.bundles import certificate_matches_public_key
from ..pki.certificates import SubjectSpec
from ..pki.lint import lint_certificate
from ..services import mail
from ..services.ca import CAResult, Order
from ..services.ca.registry import connector_for
from ..workflow.actor import SYSTEM
from ..workflow.engine import fire


def _certificate(session: Session, message: OutboxMessage) -> Certificate:
    public_id = message.payload["certificate"]
    cert = session.exec(select(Certificate).where(Certificate.public_id == public_id)).first()
    if cert is None:
        raise LookupError(f"certificate {public_id} not found")
    return cert


def _runtime():
    return current_app.extensions["ra_runtime"]


def order_for(cert: Certificate, runtime) -> Order:
    return Order(request_id=cert.public_id, csr_pem=cert.csr_pem,
                 profile=runtime.profiles[cert.profile],
                 subject=SubjectSpec(cert.given_name, cert.surname, cert.common_name,
                                     tuple(cert.addresses)))


def apply_result(session: Session, cert: Certificate, ca_name: str, result: CAResult) -> None:
    """Move a sent request on according to the CA's answer (in the caller's transaction)."""
    cert.ca_name, cert.ca_ref = ca_name, result.ref or cert.ca_ref
    if result.status == "issued":
        store_issued(cert, result, _runtime().now())
        fire(session, cert, "issue", SYSTEM, serial=cert.serial)
    elif result.status == "rejected":
        fire(session, cert, "reject", SYSTEM, reason=result.reason or "rejected by the CA")


def store_issued(cert: Certificate, result: CAResult, now) -> None:
    """Check what the CA returned and keep it; a wrong key is refused outright."""
    leaf = x509.load_pem_x509_certificate(result.cert_pem.encode())
    csr = x509.load_pem_x509_csr(cert.csr_pem.encode())
    spki = csr.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    if not certificate_matches_public_key(leaf, spki):
        raise ValueError("the CA returned a certificate for a different public key")
    cert.serial = format(leaf.serial_number, "x")
    cert.not_before, cert.not_after = leaf.not_valid_before_utc, leaf.not_valid_after_utc
    cert.cert_pem, cert.chain_pem = result.cert_pem, result.chain_pem
    cert.issued_at = now
    cert.lint_findings = [
        {"severity": f.severity, "code": f.code, "message": f.message}
        for f in lint_certificate(leaf.public_bytes(Encoding.DER))
    ]


def handle_ca_submit(session: Session, message: OutboxMessage) -> None:
    cert = _certificate(session, message)
    if cert.status != "sent":  # rejected or withdrawn meanwhile: nothing to send
        return
    runtime = _runtime()
    ca_name = runtime.profile_cas[cert.profile]
    result = connector_for(runtime, ca_name).submit(order_for(cert, runtime))
    apply_result(session, cert, ca_name, result)


def handle_ca_revoke(session: Session, message: OutboxMessage) -> None:
    cert = _certificate(session, message)
    if not cert.serial:
        return
    connector_for(_runtime(), cert.ca_name or "local").revoke(
        cert.ca_ref or cert.serial, cert.serial, cert.revocation_reason)


def handle_mail(session: Session, message: OutboxMessage) -> None:
    cert = _certificate(session, message)
    person = session.get(Person, cert.person_id)
    runtime = _runtime()
    languages = [person.locale] if person.locale in ("de", "en") else ["de", "en"]
    link = runtime.config["public_base_url"].rstrip("/") + f"/certificates/{cert.public_id}"
    context = {
        "name": person.display_name, "address": cert.addresses[0],
        "addresses": ", ".join(cert.addresses), "link": link,
        "not_after": cert.not_after.strftime("%Y-%m-%d") if cert.not_after else "",
        "serial": cert.serial or "", "reason": cert.revocation_reason or "",
    }
    mail.deliver(cert.addresses[0], mail.render(message.payload["template"], languages, context))


HANDLERS = {
    "ca.submit": handle_ca_submit,
    "ca.revoke": handle_ca_revoke,
    "mail": handle_mail,
}
