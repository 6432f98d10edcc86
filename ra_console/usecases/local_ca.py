"""Setting up the embedded local CA: root and issuing CA, the first CRLs, and the RA's own
mail-signer certificate (every mail the RA sends is S/MIME-signed); reconciling the CA's
issuance register with the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from ra_console.adapters.mail_signer import create_mail_signer, needs_new_mail_signer
from ra_console.adapters.outbox import enqueue
from ra_console.core.db import session_scope
from ra_console.models import Certificate
from ra_console.pki import issuance_log, localca, revocation

# A record younger than this may belong to a signature whose commit is still on its way
# (another job runner); older ones without a certificate in the database are lost.
LOST_AFTER = timedelta(minutes=10)


def init_local_ca(runtime) -> None:
    """Create the CA in pki.local_ca_path; FileExistsError if one is there already."""
    config = runtime.config
    folder = Path(config["pki.local_ca_path"])
    localca.init_ca(folder, organization=config["organization.name"],
                    country=config["pki.local_ca_country"], pki_base_url=config["pki.base_url"])
    revocation.write_crl(folder, runtime.now())
    if not Path(config["mail.signing_cert"]).exists():
        renew_mail_signer(runtime)


def renew_mail_signer(runtime) -> None:
    """A new signing-only mail-signer certificate and key (the old certificate stays valid
    until it expires: mail signed with it still verifies)."""
    config = runtime.config
    create_mail_signer(config, runtime.profiles[config["pki.functional_profile"]],
                       runtime.now())


def mail_signer_outdated(runtime) -> bool:
    return needs_new_mail_signer(runtime.config)


@dataclass(frozen=True)
class Reconciled:
    completed: int
    lost: list[str]  # serials (hex) revoked and reported


def reconcile_issuance(runtime) -> Reconciled:
    """Incomplete issuance records: completed where the certificate is in the database;
    older ones without it are revoked on the CRL and reported to the RA admins."""
    folder = Path(runtime.config["pki.local_ca_path"])
    if not (folder / "ca.json").exists():
        return Reconciled(0, [])
    records = issuance_log.incomplete(folder)
    if not records:
        return Reconciled(0, [])
    now = runtime.now()
    with session_scope(runtime) as session:
        serials = [format(r.serial, "x") for r in records]
        stored = set(session.exec(select(Certificate.serial).where(
            Certificate.serial.in_(serials))).all())
        found = [r.serial for r in records if format(r.serial, "x") in stored]
        lost = [r for r in records
                if format(r.serial, "x") not in stored and now - r.at > LOST_AFTER]
        for record in lost:
            revocation.revoke(folder, record.serial, None, now)
            enqueue(session, "mail.issuance_lost", {
                "serial": format(record.serial, "x"), "subject": record.subject,
                "spki_sha256": record.spki_sha256, "profile": record.profile,
                "at": record.at.isoformat()}, f"mail.issuance_lost:{record.serial:x}")
        if lost:
            revocation.write_crl(folder, now)
    issuance_log.mark(folder, found, "complete")
    issuance_log.mark(folder, [r.serial for r in lost], "lost")
    return Reconciled(len(found), [format(r.serial, "x") for r in lost])
