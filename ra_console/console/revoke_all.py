"""Revocation on behalf: all certificates of a person or of an address row, or the
certificates selected in the list. Always with a reason the S/MIME BR allow (a select,
never free text), a summary of what will be revoked and an explicit confirmation; each
certificate is revoked by its own fire() with its own audit event (usecases.certificates)."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.helpers import get_redirect_target
from flask_babel import gettext as _, lazy_gettext, ngettext
from sqlmodel import select
from wtforms import SelectChoice, SelectField
from wtforms.validators import InputRequired

from ra_console.console.base import requires_roles
from ra_console.console.faces import face_of
from ra_console.console.labels import VALUE_LABELS
from ra_console.console.workflow_actions import ActionForm
from ra_console.core.db import get_session
from ra_console.models import Certificate
from ra_console.usecases.certificates import revoke_all
from ra_console.web.current import current_actor
from ra_console.workflow.state import WorkflowError

# SBR §7.2.2: the reasons an RA may give ("unspecified" is sent without a reasonCode)
ADMIN_REASONS = ("keyCompromise", "affiliationChanged", "superseded", "cessationOfOperation",
                 "privilegeWithdrawn", "unspecified")


class RevocationForm(ActionForm):
    # no preselected reason: keyCompromise and the others mean different things to the CA
    reason = SelectField(validators=[InputRequired()], choices=[
        SelectChoice("", lazy_gettext("Choose a reason")),
        *(SelectChoice(r, VALUE_LABELS["revocation_reason"][r]) for r in ADMIN_REASONS)])


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
        column = getattr(Certificate, self.revoke_all_column)
        certs = list(get_session().exec(select(Certificate).where(
            column == row.id, Certificate.status == "issued")).all())
        summary = ngettext("%(num)s certificate of %(name)s will be revoked.",
                           "%(num)s certificates of %(name)s will be revoked.",
                           len(certs), name=face_of(row))
        return revocation_page(self, certs, summary, url_for(".index_view"))


class BulkRevokeMixin:
    """Revocation by selection in the certificate list: the list action leads to the same
    summary and confirmation as revoke-all."""

    @action("revoke", lazy_gettext("Revoke"))
    def action_revoke(self, ids):
        if not current_actor().has_role("ra_admin"):
            abort(403)
        if not ids:  # the menu works without script, so nothing may be ticked
            flash(_("Please tick the certificates to revoke first."), "error")
            return redirect(get_redirect_target() or url_for(".index_view"))
        return redirect(url_for(".revoke_selected_view", ids=",".join(ids)))

    @expose("/revoke-selected/", methods=["GET", "POST"])
    @requires_roles("ra_admin")
    def revoke_selected_view(self):
        ids = [i for i in request.args.get("ids", "").split(",") if i]
        if not ids or len(ids) > 500:
            abort(400)
        visible = [self.get_one(i) for i in ids]  # the view's scope: unknown ids are a 404
        session = get_session()
        certs = [session.exec(select(Certificate).where(Certificate.id == v.id)).one()
                 for v in visible]
        certs = [c for c in certs if c.status == "issued"]
        summary = ngettext("%(num)s selected certificate will be revoked.",
                           "%(num)s selected certificates will be revoked.", len(certs))
        if len(certs) < len(ids):
            summary += " " + ngettext(
                "%(num)s selected row is not a valid certificate and stays as it is.",
                "%(num)s selected rows are not valid certificates and stay as they are.",
                len(ids) - len(certs))
        return revocation_page(self, certs, summary, url_for(".index_view"))


def revocation_page(view, certs: list[Certificate], summary: str, back: str):
    """GET: what will be revoked, the reason and the confirmation; POST: revoke them."""
    form = RevocationForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        if not form.confirmed.data:
            flash(_("Nothing was done: please tick the confirmation first."), "error")
            return redirect(request.full_path)
        session = get_session()
        try:
            count = revoke_all(session, current_actor(), certs, form.reason.data,
                               session.info["runtime"].now(), comment=form.comment.data or "")
            session.commit()
        except WorkflowError as exc:
            session.rollback()
            flash(_("Not possible: %(reason)s", reason=str(exc)), "error")
            return redirect(back)
        flash(ngettext("%(num)s certificate revoked.", "%(num)s certificates revoked.",
                       count), "success")
        return redirect(back)
    return view.render("console/revoke_all.html", certs=certs, form=form, summary=summary,
                       faces=[face_of(c) for c in certs], back=back)
