"""Certificate problem reports in the console: RA admins act on them within the clock
(revoke the certificate with a BR reason, close with a conclusion); auditors read."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import abort, flash, redirect, url_for
from flask_admin import expose
from flask_babel import gettext as _
from wtforms import TextAreaField

from ra_console.console.base import GuardedModelView, status_label
from ra_console.console.faces import colon_serial, face_of
from ra_console.console.labels import value_label
from ra_console.console.revoke_all import RevocationForm
from ra_console.console.workflow_actions import ActionForm, WorkflowActionsMixin
from ra_console.core.db import get_session
from ra_console.models import Certificate
from ra_console.usecases.problem_reports import ReportError, close, revoke_reported
from ra_console.web.current import current_actor
from ra_console.web.messages import report_message
from ra_console.workflow.state import WorkflowError, available


def time_left(due: datetime, now: datetime) -> str:
    """The clock in words: hours and minutes left, or how long it is overdue."""
    due = due if due.tzinfo else due.replace(tzinfo=timezone.utc)
    minutes = int((due - now).total_seconds() // 60)
    hours, rest = divmod(abs(minutes), 60)
    if minutes >= 0:
        return _("%(hours)s h %(minutes)s min left", hours=hours, minutes=rest)
    return _("overdue by %(hours)s h %(minutes)s min", hours=hours, minutes=rest)


def _time_left(view, context, model, name):
    if model.status != "open":
        return _("closed")
    return time_left(model.due_at, get_session().info["runtime"].now())


def _serial(view, context, model, name):
    return colon_serial(model.serial)


class ConclusionForm(ActionForm):
    conclusion = TextAreaField()


class ProblemReportView(WorkflowActionsMixin, GuardedModelView):
    read_roles = ("ra_admin", "auditor")
    write_roles = ("ra_admin",)
    column_list = ["status", "time_left", "serial", "kind", "reporter_email", "created_at",
                   "due_at"]
    column_details_list = ["status", "serial", "kind", "description", "reporter_email",
                           "reporter_lang", "created_at", "due_at", "closed_at", "closed_by",
                           "conclusion", "public_id"]
    column_export_list = column_details_list
    column_filters = ["status", "kind", "created_at", "due_at"]
    column_searchable_list = ["serial", "reporter_email"]
    column_sortable_list = ["status", "created_at", "due_at"]
    column_default_sort = ("due_at", False)
    column_formatters = {"status": status_label("problem_report"), "time_left": _time_left,
                         "serial": _serial}
    column_formatters_export = {"status": status_label("problem_report"), "serial": _serial}
    trigger_forms = {"revoke_certificate": RevocationForm, "close": ConclusionForm}

    @expose("/actions/<row_id>")
    def actions_view(self, row_id):
        report = self._workflow_row(row_id)
        session = get_session()
        offered = {t.trigger for t in available(session, report, current_actor())} \
            if self.may_write else set()
        cert = session.get(Certificate, report.certificate_id)
        return self.render(
            "console/problem_report.html", report=report, cert=cert, face=face_of(report),
            cert_face=face_of(cert), state=status_label("problem_report")(
                self, None, report, "status"),
            left=time_left(report.due_at, session.info["runtime"].now())
            if report.status == "open" else None,
            may_revoke="revoke_certificate" in offered and cert.status == "issued",
            may_close="close" in offered, revoke_form=RevocationForm(),
            close_form=ConclusionForm(), return_url=url_for(".index_view"),
            value_label=value_label)

    @expose("/fire/<row_id>/<trigger>", methods=["POST"])
    def fire_view(self, row_id, trigger):
        if not self.may_write:
            abort(403)
        if trigger not in self.trigger_forms:
            abort(404)
        form = self.form_for(trigger)
        if not form.validate_on_submit():
            abort(400)
        report = self._workflow_row(row_id)
        back = redirect(url_for(".actions_view", row_id=row_id))
        if not form.confirmed.data:  # both actions are final: never without the tick
            flash(_("Nothing was done: please tick the confirmation first."), "error")
            return back
        session = get_session()
        now = session.info["runtime"].now()
        try:
            if trigger == "revoke_certificate":
                cert = revoke_reported(session, report, current_actor(), form.reason.data,
                                       now, comment=form.comment.data or "")
                message = _("The certificate %(name)s is revoked.", name=face_of(cert))
            else:
                close(session, report, current_actor(), form.conclusion.data or "", now)
                message = _("The case is closed; the conclusion is mailed to the reporter "
                            "and the certificate's holder.")
            session.commit()
        except ReportError as exc:
            session.rollback()
            flash(report_message(exc.code, exc.params), "error")
        except WorkflowError as exc:
            session.rollback()
            flash(_("Not possible: %(reason)s", reason=str(exc)), "error")
        else:
            flash(message, "success")
        return back
