"""Redeeming challenge links, and the addresses a person still has to confirm."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlmodel import select

from ra_console.adapters.challenges import hash_token
from ra_console.core.db import get_session
from ra_console.models import Challenge, MailboxAddress
from ra_console.queries.addresses import ChallengeTarget, challenge_target
from ra_console.usecases.addresses import AddressError, redeem
from ra_console.web.access import login_required
from ra_console.web.current import current_actor
from ra_console.web.forms import Form
from ra_console.web.limits import spend
from ra_console.web.messages import address_message

bp = Blueprint("addresses", __name__)


def pending_addresses(session, person_id: int, now) -> list[MailboxAddress]:
    """Addresses with a live challenge for this person."""
    return list(session.exec(select(MailboxAddress).join(
        Challenge, Challenge.address_id == MailboxAddress.id).where(
        Challenge.person_id == person_id, Challenge.redeemed_at.is_(None),
        Challenge.superseded_at.is_(None), Challenge.expires_at > now)).all())


@bp.route("/redeem/<token>", methods=["GET", "POST"])
@login_required
def redeem_link(token: str):
    """GET shows what will be confirmed (mail scanners may fetch links); POST confirms."""
    form = Form()
    if form.validate_on_submit():
        spend("redeem")
        session = get_session()
        runtime = current_app.extensions["ra_runtime"]
        try:
            address = redeem(session, current_actor(), token, runtime.now())
            session.commit()
        except AddressError as exc:
            session.rollback()
            return render_template("portal/redeem.html", error=address_message(exc.code),
                                   form=form), 400
        flash(_("Thank you: %(address)s is confirmed.", address=address.display), "success")
        return redirect(url_for("portal.certificates"))
    return render_template("portal/redeem.html", form=form, error=None,
                           target=_own_target(token))


def _own_target(token: str) -> ChallengeTarget | None:
    """What the link confirms, named only to the person it is meant for."""
    target = challenge_target(get_session(), hash_token(token.strip()))
    if target is None or target.person_id != current_actor().person_id:
        return None
    return target
