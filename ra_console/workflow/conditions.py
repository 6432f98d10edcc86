"""Conditions that workflow definitions name (`conditions:` / `unless:`)."""

from __future__ import annotations

from sqlmodel import select

from ra_console.models import Challenge, Mailbox
from ra_console.queries.addresses import addresses_of
from ra_console.queries.requests import blocking_reason
from ra_console.workflow.context import FireContext
from ra_console.workflow.registry import condition


@condition("needs_approval")
def needs_approval(ctx: FireContext) -> bool:
    """The request's certificate profile asks for an RA admin's approval."""
    profile = ctx.runtime.profiles.get(ctx.row.profile)
    return bool(profile and profile.approval_required)


@condition("actor_is_not_requester")
def actor_is_not_requester(ctx: FireContext) -> bool:
    """Four eyes: nobody approves their own request."""
    return ctx.actor.person_id != ctx.row.person_id


@condition("actor_is_not_subject")
def actor_is_not_subject(ctx: FireContext) -> bool:
    """Four eyes: nobody verifies their own identity."""
    return ctx.actor.person_id != ctx.row.person_id


@condition("is_idm_mailbox")
def is_idm_mailbox(ctx: FireContext) -> bool:
    return ctx.row.source == "idm"


@condition("mailbox_is_requestable")
def mailbox_is_requestable(ctx: FireContext) -> bool:
    """The address is still verified and has no open request or long-valid certificate."""
    mailbox = ctx.session.get(Mailbox, ctx.row.mailbox_id)
    if mailbox is None or mailbox.status != "verified":
        return False
    profile = ctx.runtime.profiles[ctx.row.profile]
    return blocking_reason(ctx.session, mailbox, profile, ctx.runtime.now(),
                           sending=True)[0] is None


@condition("has_unconfirmed_address")
def has_unconfirmed_address(ctx: FireContext) -> bool:
    return any(a.verified_at is None for a in addresses_of(ctx.session, ctx.row))


@condition("name_is_approved")
def name_is_approved(ctx: FireContext) -> bool:
    """A functional mailbox's display name needs an RA admin's approval first."""
    return ctx.row.kind != "functional" or ctx.row.name_approved_at is not None


@condition("all_addresses_confirmed")
def all_addresses_confirmed(ctx: FireContext) -> bool:
    return all(a.verified_at is not None for a in addresses_of(ctx.session, ctx.row))


@condition("never_challenged")
def never_challenged(ctx: FireContext) -> bool:
    """Rows may be deleted only while no challenge was ever sent (also to an alias removed
    since); afterwards: deactivate."""
    return ctx.session.exec(select(Challenge.id).where(
        Challenge.mailbox_id == ctx.row.id)).first() is None
