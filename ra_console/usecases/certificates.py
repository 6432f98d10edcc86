"""Certificates after issuance: revocation by the owner, an admin, a job, or whoever proves
possession of the certificate's private key."""

from __future__ import annotations

import re
from typing import Any

from cryptography import x509
from sqlmodel import Session, select

from ra_console.core.db import aware
from ra_console.models import Certificate
from ra_console.pki.csr import spki_sha256
from ra_console.pki.possession import PossessionError, check_challenge, signature_is_valid
from ra_console.pki.revocation import REASON_FLAGS
from ra_console.workflow.actor import Actor
from ra_console.workflow.engine import fire

_SPKI_RE = re.compile(r"[0-9a-f]{64}")


class RevocationError(Exception):
    """Revocation by key possession refused; `code` + `params` become a message."""

    def __init__(self, code: str, **params: Any):
        super().__init__(code)
        self.code, self.params = code, params


def revoke_all(session: Session, actor: Actor, certs: list[Certificate], reason: str, now,
               comment: str = "") -> int:
    """Revoke every issued certificate in `certs` (e.g. all of a person or an address, or a
    selection): each by its own fire(), each with its own audit event."""
    count = 0
    for cert in certs:
        if cert.status == "issued":
            revoke(session, cert, actor, reason, now, comment=comment)
            count += 1
    return count


def revoke(session: Session, cert: Certificate, actor: Actor, reason: str, now,
           comment: str = "") -> None:
    """Revoke in the caller's transaction; the CA is told through the outbox."""
    if reason not in REASON_FLAGS:
        raise ValueError(f"unknown revocation reason {reason!r}")
    fire(session, cert, "revoke", actor, reason=reason, **({"comment": comment} if comment else {}))
    cert.revoked_at, cert.revocation_reason = now, reason


def _spki_of(certificate_pem: str | bytes | None, spki_hex: str | None) -> str:
    """The SPKI SHA-256 named by an uploaded certificate or by the request file's hash."""
    if certificate_pem:
        data = certificate_pem.encode() if isinstance(certificate_pem, str) else certificate_pem
        try:
            certificate = (x509.load_pem_x509_certificate(data) if b"-----BEGIN" in data
                           else x509.load_der_x509_certificate(data))
            return spki_sha256(certificate.public_key())
        except ValueError:
            raise RevocationError("not_a_certificate") from None
    spki = (spki_hex or "").strip().lower()
    if not _SPKI_RE.fullmatch(spki):
        raise RevocationError("certificate_missing")
    return spki


def revoke_by_key_possession(session: Session, runtime, *, challenge: str, signature: bytes,
                             certificate_pem: str | bytes | None = None,
                             spki_hex: str | None = None, ip: str | None = None
                             ) -> Certificate:
    """Revoke (keyCompromise) the certificate whose private key signed `challenge`.

    No account: the signature is the authorisation. The actor holds the role key_holder
    scoped to this one certificate, so the workflow's role and scope checks apply as for
    everyone else. The status is told only to whoever proved possession.
    """
    now = runtime.now()
    try:
        check_challenge(runtime.config["secret_key"], challenge, now)
    except PossessionError as exc:
        raise RevocationError(exc.code) from None
    spki = _spki_of(certificate_pem, spki_hex)
    cert = session.exec(select(Certificate).where(
        Certificate.spki_sha256 == spki,
        Certificate.status.in_(("issued", "revoked", "expired")))
        .order_by(Certificate.id.desc())).first()
    if cert is None or not cert.cert_pem:
        raise RevocationError("unknown_certificate")
    public_key = x509.load_pem_x509_certificate(cert.cert_pem.encode()).public_key()
    if not signature_is_valid(public_key, signature, challenge):
        raise RevocationError("bad_signature")
    if cert.status == "revoked":
        raise RevocationError("already_revoked", serial=cert.serial)
    if cert.status == "expired" or (cert.not_after and aware(cert.not_after) <= now):
        raise RevocationError("expired", serial=cert.serial)
    holder = Actor(username="key-holder", roles={"key_holder": frozenset({cert.id})}, ip=ip)
    revoke(session, cert, holder, "keyCompromise", now)
    return cert


