"""API tokens, the person's side: issue one (its secret is shown once), see and revoke
them. The roles a token may carry are those the person holds."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ra_console.core.db import get_session
from ra_console.usecases.api_tokens import SCOPES, TokenError, is_live, issue, revoke, tokens_of
from ra_console.web.access import login_required
from ra_console.web.current import current_actor
from ra_console.web.forms import Form
from ra_console.web.messages import token_message

bp = Blueprint("tokens", __name__)


def _page(form, secret=None):
    session, actor = get_session(), current_actor()
    now = current_app.extensions["ra_runtime"].now()
    tokens = [(token, is_live(token, now)) for token in tokens_of(session, actor.person_id)]
    return render_template("portal/tokens.html", form=form, secret=secret, tokens=tokens,
                           scopes=[s for s in SCOPES if actor.has_role(s)])


@bp.route("/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    form = Form()
    if request.method == "POST" and form.validate_on_submit():
        session = get_session()
        try:
            days = int(request.form.get("days", "") or 0)
        except ValueError:
            days = 0
        try:
            _token, secret = issue(session, current_actor(), name=request.form.get("name", ""),
                                   scopes=request.form.getlist("scopes"), days=days,
                                   now=current_app.extensions["ra_runtime"].now())
        except TokenError as exc:
            session.rollback()
            flash(token_message(exc.code, exc.params), "error")
            return redirect(url_for("tokens.tokens"))
        session.commit()
        return _page(form, secret)  # shown once, in this response only
    return _page(form)


@bp.route("/tokens/<public_id>/revoke", methods=["POST"])
@login_required
def revoke_token(public_id):
    session = get_session()
    if Form().validate_on_submit():
        try:
            revoke(session, current_actor(), public_id,
                   current_app.extensions["ra_runtime"].now())
            session.commit()
            flash(_("The token is revoked."), "success")
        except TokenError as exc:
            session.rollback()
            flash(token_message(exc.code, exc.params), "error")
    return redirect(url_for("tokens.tokens"))
