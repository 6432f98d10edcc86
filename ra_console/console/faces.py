"""What a row is called on the console's pages: headings, breadcrumbs, flash messages and
confirmations name the address, the person or the certificate, never a database id."""

from __future__ import annotations

from flask_babel import get_locale, gettext as _, lazy_gettext

from ra_console.console.labels import value_label
from ra_console.models import (
    AuditEvent,
    Certificate,
    IdentityCheck,
    Institute,
    InstituteDomain,
    Mailbox,
    OutboxMessage,
    Person,
    ProblemReport,
)
from ra_console.web.formats import local_date


def colon_serial(serial: str | None) -> str:
    """A serial as certificate viewers show it: upper-case byte pairs with colons."""
    if not serial:
        return ""
    digits = serial.upper()
    digits = "0" * (len(digits) % 2) + digits
    return ":".join(digits[i:i + 2] for i in range(0, len(digits), 2))


def primary_address(mailbox: Mailbox | None) -> str:
    if mailbox is None:
        return ""
    primary = next((a for a in mailbox.addresses if a.is_primary), None)
    return primary.display if primary else ""


def person_name(person: Person | None) -> str:
    """'Erika Mustermann (erika)': the name people know and the one the IdM knows."""
    if person is None:
        return ""
    return name_and_username(person.display_name, person.username)


def name_and_username(name: str, username: str) -> str:
    return name if name == username else f"{name} ({username})"


def face_of(row) -> str:
    """The words that name `row` in a heading or a message."""
    if isinstance(row, Mailbox):
        address = primary_address(row)
        if row.kind == "functional" and row.display_name:
            return f"{address} ({row.display_name})"
        return address
    if isinstance(row, Certificate):
        addresses = ", ".join(row.addresses or [])
        if row.serial:
            return _("%(addresses)s, serial number %(serial)s", addresses=addresses,
                     serial=colon_serial(row.serial))
        return _("%(addresses)s, request of %(date)s", addresses=addresses,
                 date=local_date(row.created_at))
    if isinstance(row, IdentityCheck):
        return person_name(row.person)
    if isinstance(row, Person):
        return person_name(row)
    if isinstance(row, Institute):
        return f"{row.code} – {row.name_de}" if str(get_locale()) == "de" else \
            f"{row.code} – {row.name_en}"
    if isinstance(row, InstituteDomain):
        return row.domain
    if isinstance(row, OutboxMessage):
        return _("%(kind)s, no. %(id)s", kind=value_label("outbox_kind", row.kind), id=row.id)
    if isinstance(row, ProblemReport):
        return _("Problem report about the certificate %(serial)s of %(date)s",
                 serial=colon_serial(row.serial), date=local_date(row.created_at))
    if isinstance(row, AuditEvent):
        return _("Audit event no. %(id)s", id=row.seq)
    return _("Record no. %(id)s", id=getattr(row, "id", ""))


# What happened, in words, after a console action: "Challenge e-mail sent to x@y.".
# Transitions without an entry get the generic message with their label.
DONE_MESSAGES = {
    ("mailbox", "send_challenge"): lazy_gettext("Challenge e-mail sent to %(name)s."),
    ("mailbox", "resend"): lazy_gettext("New challenge e-mail sent to %(name)s."),
    ("mailbox", "deactivate"): lazy_gettext("%(name)s is deactivated."),
    ("mailbox", "delete"): lazy_gettext("%(name)s is deleted."),
    ("certificate", "revoke"): lazy_gettext("Certificate %(name)s is revoked."),
    ("certificate", "approve"): lazy_gettext("Request %(name)s is approved."),
    ("certificate", "reject"): lazy_gettext("Request %(name)s is rejected."),
}


def done_message(workflow: str, trigger: str, label: str, row) -> str:
    template = DONE_MESSAGES.get((workflow, trigger))
    if template is not None:
        return str(template) % {"name": face_of(row)}
    return _("%(action)s: done for %(name)s.", action=label, name=face_of(row))
