"""Mail to the RA admins: who gets it, and the handler of `mail.admin_alert` outbox rows.
Apart from handlers.py so that the web processes' silent-runner check (jobs/alerts.py) can
send an alert without importing every handler's dependencies (pkilint, the CA connectors)."""

from __future__ import annotations

from flask import current_app
from sqlmodel import Session, select

from ra_console.adapters import mail
from ra_console.models import Mailbox, MailboxAddress, OutboxMessage, RoleAssignment


def current_runtime():
    return current_app.extensions["ra_runtime"]


def public_link(path: str) -> str:
    return current_runtime().config["public_base_url"].rstrip("/") + path


def alert_recipients(session: Session, config: dict) -> list[str]:
    """Configured alert addresses, else the IdM addresses of every RA admin."""
    if config["alerts.recipients"]:
        return list(config["alerts.recipients"])

    rows = session.exec(select(MailboxAddress.address).join(
        Mailbox, Mailbox.id == MailboxAddress.mailbox_id).join(
        RoleAssignment, RoleAssignment.person_id == Mailbox.owner_id).where(
        RoleAssignment.role == "ra_admin", MailboxAddress.is_primary,
        Mailbox.source == "idm", Mailbox.status == "verified")).all()
    return sorted(set(rows))


def handle_admin_alert(session: Session, message: OutboxMessage) -> None:
    """Something needs an RA admin (a refused sign-in, paused removals): the payload names
    the mail template, its values and the console page to link to."""
    payload = message.payload
    rendered = mail.render(payload["template"], ["en", "de"], {
        **payload["context"], "link": public_link(payload.get("path", "/console/"))})
    for recipient in alert_recipients(session, current_runtime().config):
        mail.deliver(recipient, rendered)
