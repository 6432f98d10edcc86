"""What the API reads and writes (marshmallow schemas; the OpenAPI document is made from
them) and how rows become those shapes."""

from __future__ import annotations

from datetime import timezone

from marshmallow import Schema, fields, validate

from ra_console.api.pagination import PageArgs, page_schema, sized
from ra_console.models import AuditEvent, Certificate, Mailbox
from ra_console.pki.revocation import REASON_FLAGS
from ra_console.usecases.addresses import KINDS
from ra_console.usecases.api_tokens import SCOPES
from ra_console.usecases.requests import CONSENTS

MAILBOX_STATES = ("new", "pending_challenge", "verified", "deactivated", "deleted")
CERTIFICATE_STATES = ("requested", "pending_approval", "sent", "issued", "rejected",
                      "revoked", "expired", "deleted")
TEXT = sized(max=500)


class DateTime(fields.DateTime):
    """A UTC time with its offset (SQLite hands back naive times)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return super()._serialize(value, attr, obj, **kwargs)


class AddressOut(Schema):
    address = fields.String(required=True)
    primary = fields.Boolean(required=True)
    confirmed = fields.Boolean(required=True)


class MailboxOut(Schema):
    id = fields.String(required=True)
    institute = fields.String(allow_none=True, required=True)
    kind = fields.String(required=True)
    status = fields.String(required=True)
    display_name = fields.String(required=True)
    owner = fields.String(required=True)
    addresses = fields.List(fields.Nested(AddressOut), required=True)
    comment = fields.String(required=True)
    created_at = DateTime(required=True)


class MailboxQuery(PageArgs):
    q = fields.String(validate=sized(max=320),
                      metadata={"description": "a part of an address, or a user name"})
    status = fields.String(validate=validate.OneOf(MAILBOX_STATES))


class MailboxIn(Schema):
    institute = fields.String(required=True, validate=sized(1, 32))
    primary = fields.String(required=True, validate=sized(1, 320))
    aliases = fields.List(fields.String(validate=sized(max=320)),
                          load_default=list, validate=validate.Length(max=10))
    kind = fields.String(load_default="personal", validate=validate.OneOf(KINDS))
    username = fields.String(load_default="", validate=sized(max=200))
    display_name = fields.String(load_default="", validate=sized(max=200))
    applicant = fields.String(load_default="", validate=sized(max=200))
    comment = fields.String(load_default="", validate=TEXT)


class AliasesIn(Schema):
    aliases = fields.List(fields.String(validate=sized(max=320)), required=True,
                          validate=validate.Length(max=10))


class CertificateOut(Schema):
    id = fields.String(required=True)
    mailbox = fields.String(required=True)
    status = fields.String(required=True)
    profile = fields.String(required=True)
    addresses = fields.List(fields.String(), required=True)
    subject = fields.String(required=True)
    serial = fields.String(allow_none=True, required=True)
    not_before = DateTime(allow_none=True, required=True)
    not_after = DateTime(allow_none=True, required=True)
    revoked_at = DateTime(allow_none=True, required=True)
    revocation_reason = fields.String(allow_none=True, required=True)
    created_at = DateTime(required=True)


class CertificateQuery(PageArgs):
    status = fields.String(validate=validate.OneOf(CERTIFICATE_STATES))
    mailbox = fields.String(validate=sized(max=36))


class RevokeIn(Schema):
    reason = fields.String(required=True, validate=validate.OneOf(sorted(REASON_FLAGS)))


class RequestIn(Schema):
    mailbox = fields.String(required=True, validate=sized(1, 36))
    csr = fields.String(required=True, validate=sized(1, 20000),
                        metadata={"description": "PKCS#10 in PEM; the RA builds the subject"})
    aliases = fields.List(fields.String(validate=sized(max=320)), load_default=list,
                          validate=validate.Length(max=10))
    consents = fields.List(fields.String(validate=validate.OneOf(CONSENTS)), required=True,
                           metadata={"description": "every one of " + ", ".join(CONSENTS)})


class AuditEventOut(Schema):
    seq = fields.Integer(required=True)
    entity_type = fields.String(required=True)
    entity_id = fields.String(required=True)
    trigger = fields.String(required=True)
    from_state = fields.String(allow_none=True, required=True)
    to_state = fields.String(allow_none=True, required=True)
    actor = fields.String(required=True)
    role = fields.String(required=True)
    at = DateTime(required=True)
    data = fields.Dict(required=True)


class AuditQuery(PageArgs):
    entity_id = fields.String(validate=sized(max=64))


class MeOut(Schema):
    username = fields.String(required=True)
    roles = fields.List(fields.String(validate=validate.OneOf(SCOPES)), required=True)
    institutes = fields.List(fields.Integer(), required=True)


MailboxPage = page_schema(MailboxOut, "MailboxPage")
CertificatePage = page_schema(CertificateOut, "CertificatePage")
AuditEventPage = page_schema(AuditEventOut, "AuditEventPage")


def mailbox_out(row: Mailbox) -> dict:
    return {"id": row.public_id, "institute": row.institute.code if row.institute else None,
            "kind": row.kind, "status": row.status, "display_name": row.display_name,
            "owner": row.owner.username, "comment": row.comment, "created_at": row.created_at,
            "addresses": [{"address": a.display, "primary": a.is_primary,
                           "confirmed": a.verified_at is not None} for a in row.addresses]}


def certificate_out(row: Certificate, mailbox_public_id: str) -> dict:
    return {"id": row.public_id, "mailbox": mailbox_public_id, "status": row.status,
            "profile": row.profile, "addresses": list(row.addresses), "subject": row.subject,
            "serial": row.serial, "not_before": row.not_before, "not_after": row.not_after,
            "revoked_at": row.revoked_at, "revocation_reason": row.revocation_reason,
            "created_at": row.created_at}


def event_out(row: AuditEvent) -> dict:
    return {name: getattr(row, name) for name in EVENT_FIELDS}


# A schema instance copies all its fields: made once here, not once per listed event
# (that was a third of the audit-event list's time).
EVENT_FIELDS = tuple(AuditEventOut().fields)
