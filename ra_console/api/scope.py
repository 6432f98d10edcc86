"""Which rows an API caller sees: one rule for lists and single rows alike (another
institute's or person's row is simply not found)."""

from __future__ import annotations

from sqlalchemy import false, or_

from ra_console.models import Certificate, Mailbox
from ra_console.workflow.actor import Actor


def visible_mailboxes(query, actor: Actor):
    if actor.sees_everything:
        return query
    seen = []
    if actor.has_role("network_contact"):
        seen.append(Mailbox.institute_id.in_(sorted(actor.institutes())))
    if actor.has_role("user"):
        seen += [Mailbox.owner_id == actor.person_id, Mailbox.applicant_id == actor.person_id]
    return query.where(or_(*seen) if seen else false())


def visible_certificates(query, actor: Actor):
    if actor.sees_everything:
        return query
    seen = []
    if actor.has_role("network_contact"):
        seen.append(Certificate.mailbox_id.in_(
            Mailbox.__table__.select().with_only_columns(Mailbox.id)
            .where(Mailbox.institute_id.in_(sorted(actor.institutes())))))
    if actor.has_role("user"):
        seen.append(Certificate.person_id == actor.person_id)
    return query.where(or_(*seen) if seen else false())
