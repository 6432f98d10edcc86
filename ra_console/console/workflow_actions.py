"""Workflow transitions as console row actions: only those the actor may fire, via fire()."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.model.template import LinkRowAction
from flask_babel import get_locale, gettext as _
from flask_wtf import FlaskForm
from sqlmodel import select
from wtforms import TextAreaField

from ra_console.core.db import get_session
from ra_console.queries.history import state_path
from ra_console.usecases.transitions import perform
from ra_console.web.current import current_actor
from ra_console.web.limits import limited_transition
from ra_console.workflow.diagram import mermaid
from ra_console.workflow.state import WorkflowError, available, workflow_of
from ra_console.workflow.svg import render as render_svg


class ActionForm(FlaskForm):
    comment = TextAreaField()


class WorkflowActionsMixin:
    """Adds /<id>/actions (list of fireable transitions) and /<id>/fire/<trigger>."""

    column_extra_row_actions = [
        LinkRowAction("fa fa-play", "actions/{row_id}", title="Workflow"),
        LinkRowAction("fa fa-history", lambda action, row_id, row: url_for(
            "audit.index_view", search=row.public_id), title="Timeline"),
    ]

    def _workflow_row(self, row_id: str):
        visible = self.get_one(row_id)  # applies the view's role scope (404 otherwise)
        row = get_session().exec(select(self.model).where(self.model.id == visible.id)).one()
        return row

    @expose("/actions/<row_id>")
    def actions_view(self, row_id):
        row = self._workflow_row(row_id)
        actor = current_actor()
        transitions = available(get_session(), row, actor) if (
            self.may_write) else []
        workflow = workflow_of(row)
        lang = str(get_locale())
        diagram = render_svg(
            workflow, lang, str(row.status),
            state_path(get_session(), workflow.name, row.public_id),
            title=_("Workflow: current state %(state)s",
                    state=workflow.state_label(str(row.status), lang)))
        return self.render("console/actions.html", row=row, transitions=transitions,
                           workflow=workflow, form=ActionForm(), diagram=diagram,
                           mermaid=mermaid(workflow, "en", highlight=str(row.status)),
                           return_url=url_for(".index_view"))

    @expose("/fire/<row_id>/<trigger>", methods=["POST"])
    def fire_view(self, row_id, trigger):
        if not self.may_write:
            abort(403)
        form = ActionForm()
        if not form.validate_on_submit():
            abort(400)
        row = self._workflow_row(row_id)
        session = get_session()
        try:
            with limited_transition(row, trigger):
                self.before_fire(session, row, trigger, form.comment.data or "")
                perform(session, row, trigger, current_actor(), comment=form.comment.data or "")
                session.commit()
        except WorkflowError as exc:
            session.rollback()
            flash(_("Not possible: %(reason)s", reason=str(exc)), "error")
        else:
            flash(_("Done: %(trigger)s", trigger=trigger), "success")
        return redirect(url_for(".actions_view", row_id=row_id))

    def before_fire(self, session, row, trigger: str, comment: str) -> None:
        """Hook for fields that go with a transition (e.g. a revocation reason)."""
        if request.method != "POST":
            abort(405)
