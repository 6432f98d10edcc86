"""Certificates after issuance: storing what the CA returned, revocation reasons, bundles."""

from __future__ import annotations

from sqlmodel import Session

from ra_console.models import Certificate
from ra_console.pki.revocation import REASON_FLAGS
from ra_console.workflow.actor import Actor
from ra_console.workflow.engine import fire


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
