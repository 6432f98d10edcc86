"""The sweeps: drain the outbox, poll the CAs, expire certificates."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from cryptography import x509
from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import select

from ra_console.adapters import outbox
from ra_console.adapters.ca.registry import connector_for
from ra_console.adapters.outbox import inserted_at_commit
from ra_console.adapters.settings import safe_mode
from ra_console.core.db import is_sqlite
from ra_console.core.logs import new_request_id, request_id
from ra_console.jobs.alerts import send_ops_alerts
from ra_console.jobs.digest import send_weekly_digests
from ra_console.jobs.handlers import BATCHED, HANDLERS, PREPARE
from ra_console.jobs.lifecycle import offboard_certificates, send_expiry_reminders
from ra_console.models import Certificate, IdentityCheck, ProblemReport, Setting
from ra_console.pki import revocation
from ra_console.usecases import ldap_sync, problem_reports
from ra_console.usecases.issuance import apply_result, expire_certificate, expire_identity_check
from ra_console.usecases.local_ca import reconcile_issuance
from ra_console.workflow.audit import chained_at_commit
from ra_console.workflow.state import WorkflowError

log = logging.getLogger(__name__)


def drain_outbox(runtime, *, only_batched: bool = False) -> int:
    """Drain while full batches come: batches of CA submissions (claimed with SKIP
    LOCKED, so every runner takes its own), other messages one by one (not with
    only_batched: the bench measures the issuance pipeline alone)."""
    config = runtime.config
    total = 0
    while True:
        handled = outbox.drain(
            lambda: inserted_at_commit(chained_at_commit(runtime.session())), HANDLERS,
            now=runtime.now,
            batch_size=config["jobs.batch_size"], max_attempts=config["jobs.max_attempts"],
            backoff_seconds=config["jobs.backoff_seconds"],
            backoff_max_seconds=config["jobs.backoff_max_seconds"], batched=BATCHED,
            others=not only_batched, prepare=PREPARE)
        total += handled
        if handled < config["jobs.batch_size"]:  # a full batch: more may be waiting
            return total


def poll_ca(runtime) -> int:
    """Ask the CA about requests it accepted but has not issued yet."""
    with runtime.session() as session:
        ids = session.exec(select(Certificate.id).where(
            Certificate.status == "sent", Certificate.ca_ref.is_not(None),
            Certificate.cert_pem.is_(None))).all()
    moved = 0
    for cert_id in ids:
        with runtime.session() as session:
            cert = session.get(Certificate, cert_id)
            try:
                result = connector_for(runtime, cert.ca_name).poll(cert.ca_ref)
                if result.status != "pending":
                    apply_result(session, runtime, cert, cert.ca_name, result)
                    session.commit()
                    moved += 1
            except Exception as exc:  # noqa: BLE001 - the next sweep tries again
                session.rollback()
                log.warning("poll of %s failed: %s", cert.public_id, exc)
    return moved


def expire_certificates(runtime) -> int:
    """Issued certificates past notAfter become expired."""
    now = runtime.now()
    with runtime.session() as session:
        # A lower bound the planner can see: "issued and notAfter <= now" alone is estimated
        # from the two columns' separate statistics as a fifth of the table (most old
        # certificates are expired, not issued) and scanned in full; from the oldest issued
        # notAfter (the index's first entry) to now is a short range of that index.
        oldest = session.exec(select(func.min(Certificate.not_after)).where(
            Certificate.status == "issued")).one()
        ids = [] if oldest is None else session.exec(select(Certificate.id).where(
            Certificate.status == "issued", Certificate.not_after >= oldest,
            Certificate.not_after <= now)).all()
    for cert_id in ids:
        with runtime.session() as session:
            cert = session.get(Certificate, cert_id)
            try:
                expire_certificate(session, cert)
                session.commit()
            except WorkflowError:  # changed meanwhile (e.g. revoked): nothing to do
                session.rollback()
    return len(ids)


def refresh_crl(runtime) -> int:
    """Re-sign the local CA's CRLs before they grow old (they also renew on revocation)."""
    folder = Path(runtime.config["pki.local_ca_path"])
    if not (folder / "ca.json").exists():
        return 0
    crl_file = folder / "issuing.crl"
    if crl_file.exists():
        last = x509.load_der_x509_crl(crl_file.read_bytes()).last_update_utc
        if runtime.now() - last < timedelta(hours=runtime.config["pki.crl_refresh_hours"]):
            return 0
    revocation.write_crl(folder, runtime.now())
    return 1


def expire_identities(runtime) -> int:
    """Verified identity checks past their validity expire; the legal name goes with them."""
    with runtime.session() as session:
        ids = session.exec(select(IdentityCheck.id).where(
            IdentityCheck.status == "verified",
            IdentityCheck.valid_until <= runtime.now())).all()
    for check_id in ids:
        with runtime.session() as session:
            check = session.get(IdentityCheck, check_id)
            try:
                expire_identity_check(session, check)
                session.commit()
            except WorkflowError:
                session.rollback()
    return len(ids)


def sync_ldap_persons(runtime) -> int:
    """The LDAP pull sync (usecases/ldap_sync.py), when on: changed entries, or a full
    comparison every ldap_sync.full_interval_seconds. Counts the persons it changed."""
    if not runtime.config["ldap_sync.enabled"]:
        return 0
    result = ldap_sync.run(runtime, full=ldap_sync.full_due(runtime))
    if result.refused_total:
        log.warning("LDAP sync: %d entries refused (attributes missing: %s)",
                    result.refused_total, "; ".join(result.refused))
    return result.created + result.changed + result.removed


def reconcile_local_ca(runtime) -> int:
    """The local CA's incomplete issuance records (completed, or revoked and reported)."""
    result = reconcile_issuance(runtime)
    for serial in result.lost:
        log.error("local CA: certificate %s was signed but never recorded; revoked", serial)
    return result.completed + len(result.lost)


def remind_problem_reports(runtime) -> int:
    """Reminders to the RA admins of open problem reports at 12 h and 2 h left."""
    now = runtime.now()
    with runtime.session() as session:
        ids = problem_reports.open_reports_due(session, now)
    queued = 0
    for report_id in ids:
        with runtime.session() as session:
            try:
                queued += problem_reports.remind_if_due(
                    session, session.get(ProblemReport, report_id), now)
                session.commit()
            except WorkflowError:  # closed meanwhile
                session.rollback()
    return queued


SWEEPS = {
    "reconcile_local_ca": reconcile_local_ca,
    "drain_outbox": drain_outbox,
    "poll_ca": poll_ca,
    "send_expiry_reminders": send_expiry_reminders,
    "offboard_certificates": offboard_certificates,
    "expire_certificates": expire_certificates,
    "refresh_crl": refresh_crl,
    "expire_identities": expire_identities,
    "send_ops_alerts": send_ops_alerts,
    "send_weekly_digests": send_weekly_digests,
    "remind_problem_reports": remind_problem_reports,
    "sync_ldap_persons": sync_ldap_persons,
}


# Sweeps that act on the world (SMTP, LDAP, the CAs, the local CA's files): none of them
# runs in safe mode, so a restored copy's outbox stays pending.
# The LDAP sync only reads, but a restored copy must not start removing persons before
# the operator has looked at it.
ACTS_ON_THE_WORLD = ("reconcile_local_ca", "drain_outbox", "poll_ca", "refresh_crl",
                     "sync_ldap_persons")


def in_safe_mode(runtime) -> bool:
    with runtime.session() as session:
        return safe_mode(session, runtime.config)


def run_sweep(runtime, name: str) -> int:
    """One sweep, its outcome recorded for the console's dashboard ("last job runs")."""
    if name in ACTS_ON_THE_WORLD and in_safe_mode(runtime):
        log.debug("sweep %s skipped: safe mode", name)
        return 0
    started = runtime.now()
    token = request_id.set(new_request_id(f"job:{name}:"))  # its log lines, its audit events
    try:
        count = SWEEPS[name](runtime)
    except Exception as exc:
        _record_run(runtime, name, started, None, f"{type(exc).__name__}: {exc}"[:300])
        raise
    finally:
        request_id.reset(token)
    _record_run(runtime, name, started, count, None)
    return count


def _record_run(runtime, name: str, started, count: int | None, error: str | None) -> None:
    # an upsert: every runner drains the outbox and records it, at the same moment too
    values = {"key": f"job:{name}", "updated_by": "system", "updated_at": runtime.now(),
              "value": {"at": started.isoformat(), "count": count, "error": error}}
    with runtime.session() as session:
        insert = sqlite_insert if is_sqlite(session) else pg_insert
        statement = insert(Setting).values(**values)
        session.execute(statement.on_conflict_do_update(
            index_elements=["key"], set_={k: statement.excluded[k] for k in
                                          ("value", "updated_by", "updated_at")}))
        session.commit()


def run_once(runtime) -> dict[str, int]:
    """Every sweep once, in order (tests, cron)."""
    return {name: run_sweep(runtime, name) for name in SWEEPS}

