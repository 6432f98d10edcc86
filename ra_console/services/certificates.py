"""Certificates after issuance: storing what the CA returned, revocation reasons, bundles."""

from __future__ import annotations

from cryptography import x509
from sqlmodel import Session

from ..models import Certificate
from ..pki.bundles import pem_chain, pkcs7_der, pkcs7_pem
from ..workflow.actor import Actor
from ..workflow.engine import fire

# RFC 5280 reasons a subscriber may give (SBR §4.9.1.1, §7.2.2); "unspecified" is sent
# without a reasonCode, as the BR require.
USER_REASONS = ("unspecified", "keyCompromise", "affiliationChanged", "superseded",
                "cessationOfOperation")
REASON_FLAGS = {
    "unspecified": None,
    "keyCompromise": x509.ReasonFlags.key_compromise,
    "affiliationChanged": x509.ReasonFlags.affiliation_changed,
    "superseded": x509.ReasonFlags.superseded,
    "cessationOfOperation": x509.ReasonFlags.cessation_of_operation,
    "privilegeWithdrawn": x509.ReasonFlags.privilege_withdrawn,
}


def chain_of(cert: Certificate) -> list[x509.Certificate]:
    """The issued certificate followed by its chain (issuing CA … root)."""
    leaf = x509.load_pem_x509_certificate(cert.cert_pem.encode())
    chain = x509.load_pem_x509_certificates(cert.chain_pem.encode()) if cert.chain_pem else []
    return [leaf, *chain]


BUNDLES = {
    # name: (file suffix, mimetype, builder)
    "p7b-der": (".p7b", "application/pkcs7-mime", pkcs7_der),
    "p7b-pem": (".p7b.pem", "application/x-pem-file", pkcs7_pem),
    "pem": (".pem", "application/x-pem-file", pem_chain),
}


def bundle(cert: Certificate, kind: str) -> tuple[bytes, str, str]:
    suffix, mimetype, build = BUNDLES[kind]
    return build(chain_of(cert)), mimetype, suffix


def revoke_all(session: Session, actor: Actor, certs: list[Certificate], reason: str, now
               ) -> int:
    """Revoke every issued certificate in `certs` (e.g. all of a person or an address)."""
    count = 0
    for cert in certs:
        if cert.status == "issued":
            revoke(session, cert, actor, reason, now)
            count += 1
    return count


def revoke(session: Session, cert: Certificate, actor: Actor, reason: str, now) -> None:
    """Revoke in the caller's transaction; the CA is told through the outbox."""
    if reason not in REASON_FLAGS:
        raise ValueError(f"unknown revocation reason {reason!r}")
    fire(session, cert, "revoke", actor, reason=reason)
    cert.revoked_at, cert.revocation_reason = now, reason
