"""The CA has answered, or time has passed: a sent request becomes issued or rejected (with
the RA's own checks of what the CA returned), an issued certificate expires, an identity
check runs out. Called by the job runner's handlers and sweeps."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from sqlmodel import Session

from ra_console.adapters.ca import CAResult
from ra_console.adapters.ca.checks import Problem, check_received, request_spki
from ra_console.adapters.ca.registry import trust_anchors
from ra_console.adapters.outbox import enqueue
from ra_console.models import Certificate, IdentityCheck, Person
from ra_console.pki.bundles import certificate_matches_public_key
from ra_console.pki.lint import lint_certificate
from ra_console.workflow.actor import SYSTEM
from ra_console.workflow.engine import fire


def apply_result(session: Session, runtime, cert: Certificate, ca_name: str,
                 result: CAResult) -> None:
    """Move a sent request on according to the CA's answer (in the caller's transaction)."""
    cert.ca_name, cert.ca_ref = ca_name, result.ref or cert.ca_ref
    if result.status == "issued":
        problems = store_issued(cert, result, runtime.now(), trust_anchors(runtime, ca_name))
        if problems:
            reason = "the certificate from the CA failed the RA's checks: " + "; ".join(
                p.message for p in problems)
            fire(session, cert, "reject", SYSTEM, reason=reason[:1000])
            _alert(session, cert, "refused", result, [p.as_finding() for p in problems])
            return
        fire(session, cert, "issue", SYSTEM, serial=cert.serial)
        errors = [f for f in cert.lint_findings if f["severity"] in ("FATAL", "ERROR")]
        if errors:
            _alert(session, cert, "lint", result, errors)
    elif result.status == "rejected":
        fire(session, cert, "reject", SYSTEM, reason=result.reason or "rejected by the CA")


def store_issued(cert: Certificate, result: CAResult, now, anchors=None) -> list[Problem]:
    """Check what the CA returned (key, addresses, name, chain) and keep it only if all is
    right; returns the problems (a wrong key, for one, is refused outright)."""
    leaf = x509.load_pem_x509_certificate(result.cert_pem.encode())
    chain = x509.load_pem_x509_certificates(result.chain_pem.encode()) if result.chain_pem \
        else []
    spki = request_spki(cert)  # parsed once for both key checks
    problems = check_received(cert, leaf, chain, list(anchors or []), now, spki)
    if problems:
        cert.lint_findings = [p.as_finding() for p in problems]
        return problems
    if not certificate_matches_public_key(leaf, spki):  # checked above; never deliver another
        raise ValueError("the CA returned a certificate for a different public key")
    cert.serial = format(leaf.serial_number, "x")
    cert.not_before, cert.not_after = leaf.not_valid_before_utc, leaf.not_valid_after_utc
    cert.cert_pem, cert.chain_pem = result.cert_pem, result.chain_pem
    cert.issued_at = now
    cert.lint_findings = [
        {"severity": f.severity, "code": f.code, "message": f.message}
        for f in lint_certificate(leaf.public_bytes(Encoding.DER))
    ]
    return []


def _alert(session: Session, cert: Certificate, kind: str, result: CAResult,
           findings: list[dict]) -> None:
    """Tell the RA admins (through the outbox) about a certificate that needs a look."""
    serial = ""
    if result.cert_pem:
        serial = format(x509.load_pem_x509_certificate(
            result.cert_pem.encode()).serial_number, "x")
    enqueue(session, "mail.alert", {
        "certificate": cert.public_id, "kind": kind, "serial": serial,
        "ca": cert.ca_name or "", "ca_ref": cert.ca_ref or "",
        "problems": [f"{f['severity']} {f['code']}: {f['message']}" for f in findings]},
        f"mail.alert:{kind}:{cert.public_id}")


def expire_certificate(session: Session, cert: Certificate) -> None:
    """An issued certificate past notAfter is expired (WorkflowError if it changed meanwhile)."""
    fire(session, cert, "expire", SYSTEM)


def expire_identity_check(session: Session, check: IdentityCheck) -> None:
    """A verified identity check past its validity expires; the legal name goes with it."""
    fire(session, check, "expire", SYSTEM)
    person = session.get(Person, check.person_id)
    if person.legal_surname == check.legal_surname:
        person.legal_given_name = person.legal_surname = None
