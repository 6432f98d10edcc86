"""Issued certificates as files: the leaf with its chain, in the bundle formats offered."""

from __future__ import annotations

from cryptography import x509

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
