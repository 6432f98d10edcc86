"""Certificate problem reports (S/MIME BR §4.9.5): anyone reports a certificate (key
compromise, misuse, wrong data, other); the case stays open in the console with a clock
(`problem_reports.response_hours`); RA admins are reminded at 12 h and 2 h left; an RA admin
revokes the certificate and/or closes the case with a conclusion mailed to the reporter and
the certificate's holder. Every step is a workflow transition (workflows/problem_report.yaml),
so every step is audited."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from sqlmodel import Session, select

from ra_console.core.db import aware
from ra_console.models import Certificate, OutboxMessage, ProblemReport
from ra_console.pki.input_rules import address_problem, free_text_problem, refuse
from ra_console.usecases.certificates import revoke
from ra_console.workflow.actor import SYSTEM, Actor
from ra_console.workflow.effects import REMINDER_KEY
from ra_console.workflow.engine import create, fire

KINDS = ("key_compromise", "misuse", "wrong_data", "other")
DESCRIPTION_MAX = 4000
CONCLUSION_MAX = 4000
REMINDER_STEPS = (12, 2)  # hours left when the RA admins are reminded
CERTIFICATE_MAX_BYTES = 64 * 1024
_SERIAL_RE = re.compile(r"[0-9a-f]{1,64}")


class ReportError(Exception):
    """A report or an action refused; `code` + `params` become a message (web/messages.py)."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code, self.params = code, params


@dataclass(frozen=True)
class ReportInput:
    serial: str
    certificate_file: bytes
    email: str
    kind: str
    description: str
    lang: str


def normalise_serial(text: str) -> str:
    """A serial as viewers show it (colons, spaces, any case, leading zeros) in the stored
    form: lower-case hex without leading zeros."""
    cleaned = re.sub(r"[\s:]", "", text).lower()
    if cleaned.startswith("0x"):
        cleaned = cleaned[2:]
    if not _SERIAL_RE.fullmatch(cleaned):
        raise ReportError("serial_invalid")
    return cleaned.lstrip("0") or "0"


def _serial_of_file(data: bytes) -> str:
    if len(data) > CERTIFICATE_MAX_BYTES:
        raise ReportError("not_a_certificate")
    try:
        cert = (x509.load_pem_x509_certificate(data) if b"-----BEGIN" in data
                else x509.load_der_x509_certificate(data))
    except ValueError:
        raise ReportError("not_a_certificate") from None
    return format(cert.serial_number, "x")


def _check(data: ReportInput) -> str:
    """Every field's problem at once is not needed: the first one, in form order."""
    if data.certificate_file:
        serial = _serial_of_file(data.certificate_file)
    elif data.serial.strip():
        serial = normalise_serial(data.serial)
    else:
        raise ReportError("certificate_missing")
    email = data.email.strip()
    if not email:
        raise ReportError("email_missing")
    refuse(ReportError, address_problem(email))
    if data.kind not in KINDS:
        raise ReportError("kind_missing")
    if not data.description.strip():
        raise ReportError("description_missing")
    refuse(ReportError, free_text_problem(data.description, limit=DESCRIPTION_MAX),
           field="description")
    return serial


def open_report(session: Session, runtime, data: ReportInput, ip: str | None
                ) -> ProblemReport:
    """Open a case for a certificate this RA issued (any state but a mere request)."""
    serial = _check(data)
    cert = session.exec(select(Certificate).where(
        Certificate.serial == serial,
        Certificate.status.in_(("issued", "revoked", "expired")))).first()
    if cert is None:
        raise ReportError("unknown_certificate")
    now = runtime.now()
    report = ProblemReport(
        certificate_id=cert.id, serial=serial, kind=data.kind,
        description=data.description.strip(), reporter_email=data.email.strip(),
        reporter_lang=data.lang if data.lang in ("de", "en") else "en", created_at=now,
        due_at=now + timedelta(hours=runtime.config["problem_reports.response_hours"]))
    reporter = Actor(username="reporter", ip=ip)  # anyone: no role, no account
    create(session, report, reporter, data={"serial": serial, "kind": data.kind})
    return report


def reminder_step(report: ProblemReport, now: datetime) -> int | None:
    """The smallest reminder step (hours left) the case has reached, if any."""
    left = aware(report.due_at) - now
    reached = [step for step in REMINDER_STEPS if left <= timedelta(hours=step)]
    return min(reached) if reached else None


def remind_if_due(session: Session, report: ProblemReport, now: datetime) -> bool:
    """Remind the RA admins once per case and step; True when a reminder was queued."""
    step = reminder_step(report, now)
    if step is None or report.status != "open":
        return False
    key = REMINDER_KEY.format(report=report.public_id, step=step)
    if session.exec(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)).first():
        return False
    fire(session, report, "remind", SYSTEM, step=step)
    return True


def open_reports_due(session: Session, now: datetime) -> list[int]:
    """Open cases within the largest reminder window (index on due_at)."""
    return list(session.exec(select(ProblemReport.id).where(
        ProblemReport.status == "open",
        ProblemReport.due_at <= now + timedelta(hours=max(REMINDER_STEPS)))))


def revoke_reported(session: Session, report: ProblemReport, actor: Actor, reason: str,
                    now: datetime, comment: str = "") -> Certificate:
    """Revoke the reported certificate (its own audited transition) and record it on the
    case; a certificate no longer issued is refused with a message."""
    cert = session.get(Certificate, report.certificate_id)
    if cert.status != "issued":
        raise ReportError("not_revocable", serial=report.serial)
    fire(session, report, "revoke_certificate", actor, reason=reason, serial=report.serial)
    revoke(session, cert, actor, reason, now, comment=comment)
    return cert


def close(session: Session, report: ProblemReport, actor: Actor, conclusion: str,
          now: datetime) -> None:
    conclusion = conclusion.strip()
    if not conclusion:
        raise ReportError("conclusion_missing")
    refuse(ReportError, free_text_problem(conclusion, limit=CONCLUSION_MAX), field="conclusion")
    report.conclusion, report.closed_at, report.closed_by = conclusion, now, actor.username
    fire(session, report, "close", actor)
