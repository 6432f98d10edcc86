"""Identity check, the person's side: consent, then a code to show at the desk."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlmodel import select

from ra_console.core.db import get_session
from ra_console.models import IdentityCheck
from ra_console.queries.requests import has_status
from ra_console.usecases.identity import current_check, start
from ra_console.web.access import login_required
from ra_console.web.current import current_actor, current_person
from ra_console.web.forms import Form

bp = Blueprint("identity", __name__)


@bp.route("/identity", methods=["GET", "POST"])
@login_required
def identity():
    session, person = get_session(), current_person()
    runtime = current_app.extensions["ra_runtime"]
    form = Form()
    if request.method == "POST" and form.validate_on_submit():
        if not request.form.get("consent"):
            flash(_("Please consent to the processing of your identity data."), "error")
            return redirect(url_for("identity.identity"))
        code = start(session, current_actor(), person)
        session.commit()
        # Shown once, in this response only: staff cannot look the code up later.
        return render_template("portal/identity.html", code=code, form=form, check=None,
                               pending=None, has_status=False)
    pending = session.exec(select(IdentityCheck).where(
        IdentityCheck.person_id == person.id, IdentityCheck.status == "started")).first()
    return render_template("portal/identity.html", code=None, form=form,
                           check=current_check(session, person.id, runtime.now()),
                           pending=pending, has_status=has_status(person, runtime))
