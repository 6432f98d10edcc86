"""Outbox handlers: the I/O behind each kind of outbox message."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import current_app
from sqlmodel import Session, select

from ..models import (AuditEvent, Certificate, Challenge, Mailbox, MailboxAddress,
                      OutboxMessage, Person)
from ..pki.bundles import certificate_matches_public_key
from ..pki.certificates import SubjectSpec
from ..pki.lint import lint_certificate
from ..services import mail
from ..services.ca import CAResult, Order
from ..services.ca.registry import connector_for
from ..services.outbox import RetryLater
from ..services.settings import issuance_pause
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
    if issuance_pause(session).paused:  # maintenance: keep the request, try again later
        raise RetryLater("issuance is paused")
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


def languages_for(person: Person) -> list[str]:
    """The person's language, or German and English when it is unknown."""
    return [person.locale] if person.locale in ("de", "en") else ["de", "en"]


def _link(path: str) -> str:
    return _runtime().config["public_base_url"].rstrip("/") + path


def _last_event_data(session: Session, entity_id: str, trigger: str) -> dict:
    event = session.exec(select(AuditEvent).where(
        AuditEvent.entity_id == entity_id, AuditEvent.trigger == trigger)
        .order_by(AuditEvent.seq.desc())).first()
    return event.data if event else {}


def handle_mail(session: Session, message: OutboxMessage) -> None:
    """Mails about one certificate request, to its first address."""
    cert = _certificate(session, message)
    person = session.get(Person, cert.person_id)
    template = message.payload["template"]
    reason = cert.revocation_reason or ""
    if template == "request_rejected":
        data = _last_event_data(session, cert.public_id, "reject")
        reason = data.get("comment") or data.get("reason") or ""
    context = {
        "name": person.display_name, "address": cert.addresses[0],
        "addresses": ", ".join(cert.addresses), "link": _link(f"/certificates/{cert.public_id}"),
        "not_after": cert.not_after.strftime("%Y-%m-%d") if cert.not_after else "",
        "serial": cert.serial or "", "reason": reason,
        "renew_link": _link(f"/certificates/new?mailbox={message.payload.get('mailbox', '')}"),
    }
    mail.deliver(cert.addresses[0], mail.render(template, languages_for(person), context))


def handle_challenge_mail(session: Session, message: OutboxMessage) -> None:
    """The signed challenge, sent only to the address being confirmed (SBR §3.2.2.2)."""
    from ..services.addresses import token_for

    challenge = session.exec(select(Challenge).where(
        Challenge.public_id == message.payload["challenge"])).first()
    if challenge is None or challenge.redeemed_at or challenge.superseded_at:
        return  # replaced or used meanwhile: the old link must not go out any more
    address = session.get(MailboxAddress, challenge.address_id)
    person = session.get(Person, challenge.person_id)
    token = token_for(_runtime().config["secret_key"], challenge.nonce)
    context = {"name": person.display_name, "address": address.display,
               "link": _link(f"/redeem/{token}"), "username": person.username,
               "expires": challenge.expires_at.strftime("%Y-%m-%d %H:%M UTC")}
    mail.deliver(address.display, mail.render("challenge", languages_for(person), context))


def handle_deactivated_mail(session: Session, message: OutboxMessage) -> None:
    mailbox = session.exec(select(Mailbox).where(
        Mailbox.public_id == message.payload["mailbox"])).one()
    owner = session.get(Person, mailbox.owner_id)
    addresses = session.exec(select(MailboxAddress.address).where(
        MailboxAddress.mailbox_id == mailbox.id)).all()
    certs = session.exec(select(Certificate).where(
        Certificate.mailbox_id == mailbox.id, Certificate.status == "issued")).all()
    listing = "\n".join(f"- {c.serial} ({', '.join(c.addresses)}, "
                        f"{c.not_after:%Y-%m-%d})" for c in certs) or "-"
    context = {"name": owner.display_name, "username": owner.username,
               "addresses": ", ".join(addresses), "certificates": listing,
               "link": _link("/certificates")}
    mail.deliver(message.payload["to"],
                 mail.render("address_deactivated", [message.payload["lang"]]
                             if message.payload.get("lang") else ["de", "en"], context))


HANDLERS = {
    "ca.submit": handle_ca_submit,
    "ca.revoke": handle_ca_revoke,
    "mail": handle_mail,
    "mail.challenge": handle_challenge_mail,
    "mail.deactivated": handle_deactivated_mail,
}
