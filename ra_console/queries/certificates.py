"""Issued certificates as files: the leaf with its chain, in the bundle formats offered."""

from __future__ import annotations

from cryptography import x509
from sqlmodel import select

from ra_console.models import Certificate
from ra_console.pki.bundles import pem_chain, pkcs7_der, pkcs7_pem


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


HISTORY_STATES = ("issued", "revoked", "expired")


def history_of(db, person_id: int) -> list[Certificate]:
    """Every certificate a person was ever issued (revoked and expired ones too), newest
    first: the key ring pairs older keys with them. Only this person's rows."""
    query = (select(Certificate)
             .where(Certificate.person_id == person_id,
                    Certificate.status.in_(HISTORY_STATES),
                    Certificate.cert_pem.is_not(None))
             .order_by(Certificate.not_before.desc()))
    return list(db.exec(query).all())
