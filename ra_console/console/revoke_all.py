"""Revocation on behalf: all certificates of a person, or of an address row."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlmodel import select

from ra_console.console.base import requires_roles
from ra_console.core.db import get_session
from ra_console.models import Certificate
from ra_console.pki.revocation import REASON_FLAGS
from ra_console.usecases.certificates import revoke_all
from ra_console.web.current import current_actor
from ra_console.workflow.state import WorkflowError

ADMIN_REASONS = ("keyCompromise", "affiliationChanged", "superseded", "cessationOfOperation",
                 "privilegeWithdrawn", "unspecified")


class RevokeAllMixin:
    """/revoke-all/<id>: confirm page with a reason, then revoke every issued certificate
    of the row (a person or a mailbox). RA admins only."""

    revoke_all_column: str = "person_id"

    def get_list_row_actions(self):
        """The revoke-all icon only for those who may use it."""
        actions = super().get_list_row_actions()
        if current_actor().has_role("ra_admin"):
            return actions
        return [a for a in actions if "revoke-all" not in str(getattr(a, "url", ""))]

    @expose("/revoke-all/<row_id>", methods=["GET", "POST"])
    @requires_roles("ra_admin")
    def revoke_all_view(self, row_id):
        row = self.get_one(row_id)
        session = get_session()
        column = getattr(Certificate, self.revoke_all_column)
        certs = list(session.exec(select(Certificate).where(
            column == row.id, Certificate.status == "issued")).all())
        form = FlaskForm()
        if request.method == "POST":
            reason = request.form.get("reason", "")
            if not form.validate_on_submit() or reason not in REASON_FLAGS:
                abort(400)
            try:
                count = revoke_all(session, current_actor(), certs, reason,
                                   session.info["runtime"].now())
                session.commit()
            except WorkflowError as exc:
                session.rollback()
                flash(_("Not possible: %(reason)s", reason=str(exc)), "error")
                return redirect(url_for(".index_view"))
            flash(_("%(count)s certificates revoked.", count=count), "success")
            return redirect(url_for(".index_view"))
        return self.render("console/revoke_all.html", row=row, certs=certs, form=form,
                           reasons=ADMIN_REASONS)
