"""Outbox handlers: the I/O behind each kind of outbox message."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from ra_console.adapters import mail
from ra_console.adapters.ca import Order
from ra_console.adapters.ca.registry import connector_for
from ra_console.adapters.challenges import token_for
from ra_console.adapters.directory import LdapDirectory, NoEntry
from ra_console.adapters.outbox import RetryLater
from ra_console.adapters.settings import issuance_pause
from ra_console.core.db import lock_rows
from ra_console.jobs.admin_mail import (
    alert_recipients,
    current_runtime,
    handle_admin_alert,
    public_link,
)
from ra_console.models import (
    AuditEvent,
    Certificate,
    Challenge,
    Mailbox,
    MailboxAddress,
    OutboxMessage,
    Person,
    ProblemReport,
    RoleAssignment,
)
from ra_console.pki.certificates import SubjectSpec
from ra_console.pki.keyring import short_fingerprint, suggested_file_name
from ra_console.queries.addresses import idm_addresses
from ra_console.queries.institute_figures import institute_figures
from ra_console.usecases.issuance import apply_result

# What prepare_ca_submit loaded for the batch (in the batch's session): its requests,
# locked, by public id, and the issuance switch as it stood when the batch began.
_BATCH = "ca_submit_batch"


def prepare_ca_submit(session: Session, messages: list[OutboxMessage]) -> None:
    """The batch's requests locked and loaded with one SELECT … FOR UPDATE (fire() then
    needs no lock of its own), and the issuance switch read once."""
    wanted = [m.payload["certificate"] for m in messages]
    certs = lock_rows(session, Certificate, Certificate.public_id.in_(wanted))
    session.info[_BATCH] = {"certs": {c.public_id: c for c in certs},
                            "paused": issuance_pause(session).paused}


def _certificate(session: Session, message: OutboxMessage) -> Certificate:
    public_id = message.payload["certificate"]
    cert = session.info.get(_BATCH, {}).get("certs", {}).get(public_id)
    if cert is not None:
        return cert
    cert = session.exec(select(Certificate).where(Certificate.public_id == public_id)).first()
    if cert is None:
        raise LookupError(f"certificate {public_id} not found")
    return cert


def order_for(cert: Certificate, runtime) -> Order:
    return Order(request_id=cert.public_id, csr_pem=cert.csr_pem,
                 profile=runtime.profiles[cert.profile],
                 subject=SubjectSpec(cert.given_name, cert.surname, cert.common_name,
                                     tuple(cert.addresses)))


def handle_ca_submit(session: Session, message: OutboxMessage) -> None:
    cert = _certificate(session, message)
    if cert.status != "sent":  # rejected or withdrawn meanwhile: nothing to send
        return
    batch = session.info.get(_BATCH)
    paused = batch["paused"] if batch else issuance_pause(session).paused
    if paused:  # maintenance: keep the request, try again later
        raise RetryLater("issuance is paused")
    runtime = current_runtime()
    ca_name = runtime.profile_cas[cert.profile]
    # Never submit twice: a remote connector first looks the order up at the CA (an
    # earlier attempt may have reached it), and a batch redone after a failure
    # (adapters.outbox._handle_batch) applies the answer it kept.
    answers = batch.setdefault("answers", {}) if batch else {}
    result = answers.get(cert.public_id)
    if result is None:
        result = answers[cert.public_id] = connector_for(runtime, ca_name).submit(
            order_for(cert, runtime))
    apply_result(session, runtime, cert, ca_name, result)


def handle_ca_revoke(session: Session, message: OutboxMessage) -> None:
    cert = _certificate(session, message)
    if not cert.serial:
        return
    connector_for(current_runtime(), cert.ca_name or "local").revoke(
        cert.ca_ref or cert.serial, cert.serial, cert.revocation_reason)


def languages_for(person: Person) -> list[str]:
    """The person's language, or German and English when it is unknown."""
    return [person.locale] if person.locale in ("de", "en") else ["de", "en"]


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
    if template in ("request_rejected", "request_approved"):
        trigger = "reject" if template == "request_rejected" else "approve"
        data = _last_event_data(session, cert.public_id, trigger)
        reason = data.get("comment") or data.get("reason") or ""
    context = {
        "name": person.display_name, "address": cert.addresses[0],
        "addresses": ", ".join(cert.addresses), "link": public_link(f"/certificates/{cert.public_id}"),
        "not_after": cert.not_after.strftime("%Y-%m-%d") if cert.not_after else "",
        "serial": cert.serial or "", "reason": reason,
        "renew_link": public_link(f"/certificates/new?mailbox={message.payload.get('mailbox', '')}"),
        "days": message.payload.get("days", ""),
        # which request file holds this key (the reminder asks to keep it after renewal)
        "request_file": suggested_file_name(cert.addresses[0], cert.public_id)
        if cert.origin == "browser" else "",
        "fingerprint": short_fingerprint(cert.spki_sha256),
    }
    mail.deliver(cert.addresses[0], mail.render(template, languages_for(person), context))


def handle_challenge_mail(session: Session, message: OutboxMessage) -> None:
    """The signed challenge, sent only to the address being confirmed (SBR §3.2.2.2)."""
    challenge = session.exec(select(Challenge).where(
        Challenge.public_id == message.payload["challenge"])).first()
    if (challenge is None or challenge.redeemed_at or challenge.superseded_at
            or challenge.address_id is None):
        return  # replaced, used or its alias removed: the old link must not go out any more
    address = session.get(MailboxAddress, challenge.address_id)
    person = session.get(Person, challenge.person_id)
    token = token_for(current_runtime().config["secret_key"], challenge.nonce)
    context = {"name": person.display_name, "address": address.display,
               "link": public_link(f"/redeem/{token}"), "username": person.username,
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
               "link": public_link("/certificates")}
    mail.deliver(message.payload["to"],
                 mail.render("address_deactivated", [message.payload["lang"]]
                             if message.payload.get("lang") else ["de", "en"], context))


def handle_alert_mail(session: Session, message: OutboxMessage) -> None:
    """A certificate from a CA failed a check or has pkilint errors: tell the RA admins."""
    cert = _certificate(session, message)
    payload = message.payload
    context = {"address": cert.addresses[0], "addresses": ", ".join(cert.addresses),
               "serial": payload.get("serial") or "-", "ca": payload.get("ca") or "-",
               "ca_ref": payload.get("ca_ref") or "-", "kind": payload["kind"],
               "problems": "\n".join(f"- {p}" for p in payload.get("problems", [])),
               "link": public_link(f"/console/certificates/details/?id={cert.id}")}
    rendered = mail.render("certificate_check_failed", ["en"], context)
    for recipient in alert_recipients(session, current_runtime().config):
        mail.deliver(recipient, rendered)


def handle_issuance_lost_mail(session: Session, message: OutboxMessage) -> None:
    """The local CA signed a certificate that never reached the database: tell the RA
    admins (usecases.local_ca.reconcile_issuance revoked its serial)."""
    payload = message.payload
    cert = session.exec(select(Certificate).where(
        Certificate.spki_sha256 == payload["spki_sha256"])).first()  # the request it was for
    context = {**payload, "address": cert.addresses[0] if cert else "-",
               "link": public_link(f"/console/certificates/details/?id={cert.id}" if cert
                             else "/console/certificates/")}
    rendered = mail.render("issuance_lost", ["en"], context)
    for recipient in alert_recipients(session, current_runtime().config):
        mail.deliver(recipient, rendered)


def handle_offboarding_mail(session: Session, message: OutboxMessage) -> None:
    """The certificate will be revoked on a date: to the person and the network contacts."""
    cert = _certificate(session, message)
    person = session.get(Person, cert.person_id)
    context = {"name": person.display_name, "username": person.username,
               "address": cert.addresses[0], "addresses": ", ".join(cert.addresses),
               "serial": cert.serial or "", "why": message.payload["why"],
               "revoke_on": message.payload["revoke_on"],
               "revocation_reason": message.payload["reason"],
               "link": public_link(f"/certificates/{cert.public_id}")}
    lang = message.payload.get("lang")
    mail.deliver(message.payload["to"], mail.render(
        "offboarding_notice", [lang] if lang else ["de", "en"], context))


def _digest_rows(figures, now, zone: str) -> list[dict]:
    rows = []
    for f in figures:
        since = f.waiting_since
        if since is not None and since.tzinfo is None:  # SQLite: naive, UTC
            since = since.replace(tzinfo=now.tzinfo)
        rows.append({
            "name_de": f.name_de, "name_en": f.name_en, "code": f.code,
            "waiting": f.waiting, "unanswered_week": f.unanswered_week,
            "waiting_since": since.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
            if since else "", "waiting_days": (now - since).days if since else 0,
            "expiring_30": f.expiring_30, "expiring_60": f.expiring_60,
            "revocations_scheduled": f.revocations_scheduled})
    return rows


def handle_digest_mail(session: Session, message: OutboxMessage) -> None:
    """A network contact's weekly digest: counted now, with the start page's query, to
    their IdM addresses in their language. Nothing when they opted out meanwhile."""
    person = session.exec(select(Person).where(
        Person.public_id == message.payload["person"])).first()
    if person is None or not person.weekly_digest:
        return
    institutes = set(session.exec(select(RoleAssignment.institute_id).where(
        RoleAssignment.person_id == person.id, RoleAssignment.role == "network_contact",
        RoleAssignment.institute_id.is_not(None))).all())
    if not institutes:
        return  # no longer a network contact
    runtime = current_runtime()
    now = runtime.now()
    context = {"name": person.display_name, "week": message.payload["week"],
               "institutes": _digest_rows(institute_figures(session, now, institutes), now,
                                          runtime.config["timezone"]),
               "link": public_link("/console/")}
    rendered = mail.render("weekly_digest", languages_for(person), context)
    for address in idm_addresses(session, person.id):
        mail.deliver(address, rendered)


def handle_directory_publish(session: Session, message: OutboxMessage) -> None:
    cert = _certificate(session, message)
    if cert.status != "issued":  # revoked or expired before it got there
        return
    try:
        cert.directory_dn = LdapDirectory(current_runtime().config).publish(cert)
        cert.directory_state = "published"
    except NoEntry:
        # nobody to publish to (yet): recorded; `ra-console directory sync` catches up
        cert.directory_state = "no_entry"


def handle_directory_unpublish(session: Session, message: OutboxMessage) -> None:
    cert = _certificate(session, message)
    dn = LdapDirectory(current_runtime().config).unpublish(cert)
    cert.directory_state, cert.directory_dn = "removed", dn or cert.directory_dn


def handle_problem_report_mail(session: Session, message: OutboxMessage) -> None:
    """A problem report's conclusion: to the reporter (in the form's language) or to the
    certificate's holder (their language), signed like every mail."""
    report = session.exec(select(ProblemReport).where(
        ProblemReport.public_id == message.payload["report"])).one()
    cert = session.get(Certificate, report.certificate_id)
    to = message.payload["to"]
    context = {"to": to, "serial": report.serial, "conclusion": report.conclusion or "",
               "reported": report.created_at.strftime("%Y-%m-%d %H:%M UTC"),
               "addresses": ", ".join(cert.addresses),
               "revoked": cert.status == "revoked", "reason": cert.revocation_reason or "",
               "link": public_link("/pki/problem-report" if to == "reporter" else "/certificates")}
    if to == "reporter":
        recipient, languages = report.reporter_email, [report.reporter_lang]
    else:
        recipient, languages = cert.addresses[0], languages_for(session.get(Person, cert.person_id))
    mail.deliver(recipient, mail.render("problem_report_conclusion", languages, context))


HANDLERS = {
    "mail.problem_report": handle_problem_report_mail,
    "mail.alert": handle_alert_mail,
    "mail.issuance_lost": handle_issuance_lost_mail,
    "mail.admin_alert": handle_admin_alert,
    "mail.offboarding": handle_offboarding_mail,
    "directory.publish": handle_directory_publish,
    "directory.unpublish": handle_directory_unpublish,
    "ca.submit": handle_ca_submit,
    "ca.revoke": handle_ca_revoke,
    "mail": handle_mail,
    "mail.challenge": handle_challenge_mail,
    "mail.deactivated": handle_deactivated_mail,
    "mail.digest": handle_digest_mail,
}

# Handled in batches, one transaction each (adapters/outbox.drain): the issuance pipeline.
# A crash before the batch's commit leaves certificates signed but unrecorded: their
# requests are signed again, and the local CA's issuance log has the orphans revoked and
# reported (usecases.local_ca.reconcile_issuance). Mails are
# not batched: sent again after a crash, a repeat stays one message, not a batch.
BATCHED = frozenset({"ca.submit"})
PREPARE = {"ca.submit": prepare_ca_submit}
