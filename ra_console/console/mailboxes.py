"""Meine E-Mail-Domains: network contacts manage their institutes' address rows."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.model.template import LinkRowAction
from flask_babel import gettext as _, lazy_gettext, ngettext
from markupsafe import Markup
from sqlmodel import select
from wtforms import SelectChoice, SelectField, StringField, TextAreaField

from ra_console.console.base import GuardedModelView, institute_scope
from ra_console.console.faces import face_of, person_name
from ra_console.console.revoke_all import RevokeAllMixin
from ra_console.console.workflow_actions import WorkflowActionsMixin
from ra_console.core.db import get_session
from ra_console.models import Certificate, Institute, Mailbox
from ra_console.usecases.addresses import (
    AddressError,
    MailboxInput,
    add_mailbox,
    approve_display_name,
    send_challenge,
    set_aliases,
    set_name_and_comment,
)
from ra_console.web.current import current_actor
from ra_console.web.forms import Form
from ra_console.web.limits import limited_transition
from ra_console.web.messages import address_message
from ra_console.web.pages import state_label
from ra_console.workflow.state import WorkflowError


class MailboxForm(Form):
    institute_id = SelectField(lazy_gettext("Institute"), validate_choice=False)
    primary = StringField(lazy_gettext("Primary address"))
    alias1 = StringField(lazy_gettext("Alias"))
    alias2 = StringField(lazy_gettext("Alias"))
    kind = SelectField(lazy_gettext("Mailbox type"), choices=[
        SelectChoice("personal", lazy_gettext("personal")),
        SelectChoice("functional", lazy_gettext("functional mailbox"))])
    username = StringField(lazy_gettext("User name of the person"))
    display_name = StringField(lazy_gettext("Display name"))
    applicant = StringField(lazy_gettext("User name of the applicant (functional mailbox)"))
    comment = TextAreaField(lazy_gettext("Comment"))


def institutes_of(actor) -> list[Institute]:
    session = get_session()
    query = select(Institute).order_by(Institute.code)
    if not actor.has_role("ra_admin"):
        query = query.where(Institute.id.in_(sorted(actor.institutes())))
    return list(session.exec(query).all())


def _marked(address) -> Markup:
    """An address with its confirmation, as a mark (and in words for screen readers)."""
    if address.verified_at:
        return Markup('{} <span aria-hidden="true">✔</span><span class="sr-only">({})</span>'
                      ).format(address.display, _("confirmed"))
    return Markup('{} <span aria-hidden="true">…</span><span class="sr-only">({})</span>'
                  ).format(address.display, _("not yet confirmed"))


def _primary(view, context, model, name):
    primary = next((a for a in model.addresses if a.is_primary), None)
    return _marked(primary) if primary else ""


def _aliases(view, context, model, name):
    return Markup("<br>").join(_marked(a) for a in model.addresses if not a.is_primary)


def _primary_export(view, context, model, name):
    primary = next((a for a in model.addresses if a.is_primary), None)
    return primary.display if primary else ""


def _aliases_export(view, context, model, name):
    return ", ".join(a.display for a in model.addresses if not a.is_primary)


def _owner(view, context, model, name):
    return person_name(model.owner)


def _status(view, context, model, name):
    """The state, and for a new functional mailbox what it waits for."""
    label = state_label("mailbox", model.status)
    if model.kind == "functional" and model.status == "new" and model.name_approved_at is None:
        return _("%(state)s: display name waits for the RA's approval", state=label)
    return label


def _institute(view, context, model, name):
    return model.institute.code if model.institute else ""


class MailboxView(RevokeAllMixin, WorkflowActionsMixin, GuardedModelView):
    revoke_all_column = "mailbox_id"
    column_extra_row_actions = WorkflowActionsMixin.column_extra_row_actions + [
        LinkRowAction("fa fa-ban", "revoke-all/{row_id}",
                      title=lazy_gettext("Revoke all certificates"))]
    read_roles = ("network_contact", "ra_admin", "auditor")
    write_roles = ("network_contact", "ra_admin")
    allow_create = allow_edit = True
    form = MailboxForm
    # Each address carries its confirmation mark (the export has a column of its own).
    # (the creation time is in the details, the export and the default sort)
    column_list = ["primary", "aliases", "kind", "display_name", "owner", "institute",
                   "status", "comment"]
    column_labels = {"owner.username": lazy_gettext("Person"), "owner": lazy_gettext("Person"),
                     "institute.code": lazy_gettext("Institute"),
                     "addresses.address": lazy_gettext("E-mail address"),
                     "kind": lazy_gettext("Mailbox type"),
                     "display_name": lazy_gettext("Display name"),
                     "status": lazy_gettext("Status"), "comment": lazy_gettext("Comment"),
                     "created_at": lazy_gettext("Created"),
                     "primary": lazy_gettext("Primary address"),
                     "aliases": lazy_gettext("Aliases"),
                     "confirmed": lazy_gettext("Confirmed")}
    column_formatters = {"primary": _primary, "aliases": _aliases, "owner": _owner,
                         "status": _status, "institute": _institute}
    column_export_list = ["primary", "aliases", "kind", "display_name", "owner.username",
                          "institute", "status", "confirmed", "comment", "created_at"]
    column_formatters_export = {"primary": _primary_export, "aliases": _aliases_export,
                                "institute": _institute,
                                "confirmed": lambda v, c, m, n: ", ".join(
                                    a.address for a in m.addresses if a.verified_at)}
    column_searchable_list = ["addresses.address", "owner.username", "display_name", "comment"]
    column_filters = ["status", "kind", "source", "institute.code", "created_at"]
    column_sortable_list = ["status", "kind", "display_name", "created_at"]
    column_default_sort = ("created_at", True)
    column_details_list = ["public_id", "status", "kind", "source", "display_name",
                           "owner.username", "comment", "name_approved_by", "created_at"]

    def scope_query(self, query):
        return institute_scope(query, Mailbox.institute_id)

    def consequences(self, row, transition):
        if transition.trigger == "deactivate":
            carried = len(get_session().exec(select(Certificate.id).where(
                Certificate.mailbox_id == row.id, Certificate.status == "issued")).all())
            if not carried:
                return []
            days = get_session().info["runtime"].config["lifecycle.offboarding_grace_days"]
            return [ngettext("%(num)s valid certificate of %(name)s will be revoked in "
                             "%(days)s days.",
                             "%(num)s valid certificates of %(name)s will be revoked in "
                             "%(days)s days.", carried, name=face_of(row), days=days)]
        if transition.trigger == "delete":
            return [_("The row %(name)s will be deleted.", name=face_of(row))]
        return []

    def _prepare(self, form):
        form.institute_id.choices = [SelectChoice(str(i.id), f"{i.code} – {i.name_de}")
                                     for i in institutes_of(current_actor())]
        return form

    def create_form(self, obj=None):
        return self._prepare(super().create_form(obj))

    def edit_form(self, obj=None):
        form = self._prepare(super().edit_form(obj))
        del form.institute_id, form.primary, form.kind, form.username, form.applicant
        return form

    def on_form_prefill(self, form, id):
        row = self.get_one(id)
        aliases = [a.display for a in row.addresses if not a.is_primary]
        form.alias1.data = aliases[0] if aliases else ""
        form.alias2.data = aliases[1] if len(aliases) > 1 else ""

    def _max_aliases(self):
        return get_session().info["runtime"].config["addresses.max_aliases"]

    def create_model(self, form):
        actor, session = current_actor(), get_session()
        institute = next((i for i in institutes_of(actor)
                          if str(i.id) == str(form.institute_id.data)), None)
        if institute is None:
            flash(_("Please choose one of your institutes."), "error")
            return False
        data = MailboxInput(
            primary=form.primary.data or "",
            aliases=tuple(a for a in (form.alias1.data, form.alias2.data) if a),
            kind=form.kind.data, username=form.username.data or "",
            display_name=form.display_name.data or "", applicant=form.applicant.data or "",
            comment=form.comment.data or "")
        try:
            mailbox = add_mailbox(session, actor, institute, data,
                                  max_aliases=self._max_aliases())
            session.commit()
        except AddressError as exc:
            session.rollback()
            flash(address_message(exc.code, exc.params), "error")
            return False
        return self.session.get(Mailbox, mailbox.id)

    def update_model(self, form, model):
        actor, session = current_actor(), get_session()
        row = session.exec(select(Mailbox).where(Mailbox.id == model.id)).one()
        institute = session.get(Institute, row.institute_id)
        try:
            set_aliases(session, actor, institute, row,
                        tuple(a for a in (form.alias1.data, form.alias2.data) if a),
                        max_aliases=self._max_aliases())
            set_name_and_comment(row, form.display_name.data or "", form.comment.data or "")
            session.commit()
        except (AddressError, WorkflowError) as exc:
            session.rollback()
            code = getattr(exc, "code", "")
            flash(address_message(code, getattr(exc, "params", {})), "error")
            return False
        self.session.expire_all()
        return True

    def delete_model(self, model):  # rows are never deleted; the workflow has "delete"
        flash(_("Use the row's actions to delete or deactivate."), "error")
        return False

    @expose("/approve-name/<row_id>", methods=["POST"])
    def approve_name(self, row_id):
        actor = current_actor()
        if not actor.has_role("ra_admin") or not Form().validate_on_submit():
            abort(403)
        session = get_session()
        row = self._workflow_row(row_id)
        try:
            approve_display_name(session, actor, row, session.info["runtime"].now())
        except AddressError as exc:
            session.rollback()
            if exc.code != "own_name_approval":
                abort(400)
            flash(address_message(exc.code), "error")
            return redirect(url_for(".actions_view", row_id=row_id))
        session.commit()
        flash(_("The display name is approved."), "success")
        return redirect(url_for(".actions_view", row_id=row_id))

    @action("send_challenge", lazy_gettext("Send challenge e-mails"),
            lazy_gettext("Send challenge e-mails to the selected new rows?"))
    def action_send_challenge(self, ids):
        actor, session, sent, failed = current_actor(), get_session(), 0, 0
        for row_id in ids:
            visible = self.scope_query(self.get_query()).filter(Mailbox.id == int(row_id)).first()
            if visible is None:
                continue
            row = session.exec(select(Mailbox).where(Mailbox.id == visible.id)).one()
            try:
                with limited_transition(row, "send_challenge"):
                    send_challenge(session, row, actor)
                    session.commit()
                sent += 1
            except WorkflowError:
                session.rollback()
                failed += 1
        flash(_("Challenge e-mails sent for %(sent)s rows; %(failed)s rows were skipped.",
                sent=sent, failed=failed), "info")



class NameApprovalView(MailboxView):
    """Functional mailboxes whose display name waits for an RA admin's approval."""
    read_roles = ("ra_admin", "auditor")
    write_roles = ("ra_admin",)
    allow_create = allow_edit = False
    can_export = False

    def scope_query(self, query):
        return query.filter(Mailbox.kind == "functional", Mailbox.name_approved_at.is_(None),
                            Mailbox.status == "new")
