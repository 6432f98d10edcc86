"""Workflow transitions as console row actions: only those the actor may fire, via fire().

A transition that leads where no person can bring the row back from (deleted, revoked,
deactivated, rejected) is destructive: it is shown as danger and needs an explicit
confirmation that names what happens. That rule is read from the workflow definition,
so a new workflow needs no list of its dangerous buttons."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_admin import expose
from flask_admin.model.template import LinkRowAction
from flask_babel import get_locale, gettext as _, lazy_gettext
from sqlmodel import select
from wtforms import BooleanField, TextAreaField

from ra_console.console.base import HISTORY
from ra_console.console.faces import done_message, face_of
from ra_console.core.db import get_session
from ra_console.queries.history import state_path
from ra_console.usecases.transitions import perform
from ra_console.web.current import current_actor
from ra_console.web.forms import Form
from ra_console.web.limits import limited_transition
from ra_console.workflow.definition import Transition, Workflow
from ra_console.workflow.diagram import mermaid
from ra_console.workflow.state import WorkflowError, available, workflow_of
from ra_console.workflow.svg import render as render_svg


class ActionForm(Form):
    comment = TextAreaField()
    confirmed = BooleanField()


def is_destructive(workflow: Workflow, transition: Transition) -> bool:
    """True when only the system (or nothing) leads out of the transition's target state."""
    if transition.dest in transition.sources:
        return False
    return all(t.roles <= {"system"} for t in workflow.transitions_from(transition.dest))


class WorkflowActionsMixin:
    """Adds /<id>/actions (list of fireable transitions) and /<id>/fire/<trigger>."""

    column_extra_row_actions = [
        LinkRowAction("fa fa-play", "actions/{row_id}", title=lazy_gettext("Actions")),
        HISTORY,
    ]
    # forms for transitions that take more than a comment (e.g. a revocation reason)
    trigger_forms: dict[str, type[ActionForm]] = {}

    def _workflow_row(self, row_id: str):
        visible = self.get_one(row_id)  # applies the view's role scope (404 otherwise)
        row = get_session().exec(select(self.model).where(self.model.id == visible.id)).one()
        return row

    def form_for(self, trigger: str) -> ActionForm:
        return self.trigger_forms.get(trigger, ActionForm)()

    def consequences(self, row, transition: Transition) -> list[str]:
        """Sentences that say what a destructive transition will do to this row."""
        return []

    @expose("/actions/<row_id>")
    def actions_view(self, row_id):
        row = self._workflow_row(row_id)
        actor = current_actor()
        lang = str(get_locale())
        workflow = workflow_of(row)
        offered = available(get_session(), row, actor) if self.may_write else []
        actions = [{"transition": t, "label": t.labels.get(lang) or t.labels["en"],
                    "confirm": (t.confirm or {}).get(lang, ""),
                    "danger": is_destructive(workflow, t),
                    "consequences": self.consequences(row, t),
                    "form": self.form_for(t.trigger)} for t in offered]
        return self.render("console/actions.html", row=row, actions=actions,
                           face=face_of(row), state=workflow.state_label(row.status, lang),
                           workflow=workflow, form=ActionForm(),
                           diagram=render_svg(
                               workflow, lang, str(row.status),
                               state_path(get_session(), workflow.name, row.public_id),
                               title=_("Workflow: current state %(state)s",
                                       state=workflow.state_label(str(row.status), lang))),
                           mermaid=mermaid(workflow, "en", highlight=str(row.status)),
                           return_url=url_for(".index_view"))

    @expose("/fire/<row_id>/<trigger>", methods=["POST"])
    def fire_view(self, row_id, trigger):
        if not self.may_write:
            abort(403)
        form = self.form_for(trigger)
        if not form.validate_on_submit():
            abort(400)
        row = self._workflow_row(row_id)
        workflow = workflow_of(row)
        transition = next((t for t in workflow.transitions if t.trigger == trigger), None)
        if transition is None:
            abort(404)
        back = redirect(url_for(".actions_view", row_id=row_id))
        if is_destructive(workflow, transition) and not form.confirmed.data:
            flash(_("Nothing was done: please tick the confirmation first."), "error")
            return back
        session = get_session()
        try:
            with limited_transition(row, trigger):
                self.fire_transition(session, row, trigger, form)
                session.commit()
        except WorkflowError as exc:
            session.rollback()
            flash(_("Not possible: %(reason)s", reason=str(exc)), "error")
        else:
            label = transition.labels.get(str(get_locale())) or transition.labels["en"]
            flash(done_message(workflow.name, trigger, label, row), "success")
        return back

    def fire_transition(self, session, row, trigger: str, form: ActionForm) -> None:
        """Run the transition through its use case (views with extra fields override)."""
        perform(session, row, trigger, current_actor(), comment=form.comment.data or "")
