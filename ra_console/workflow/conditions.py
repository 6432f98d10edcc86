"""Conditions that workflow definitions name (`conditions:` / `unless:`)."""

from __future__ import annotations

from .context import FireContext
from .registry import condition


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
    from ..models import Mailbox
    from ..services.requests import blocking_reason

    mailbox = ctx.session.get(Mailbox, ctx.row.mailbox_id)
    if mailbox is None or mailbox.status != "verified":
        return False
    profile = ctx.runtime.profiles[ctx.row.profile]
    return blocking_reason(ctx.session, mailbox, profile, ctx.runtime.now())[0] is None
