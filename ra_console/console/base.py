"""The console's access rules, built into the base classes so no view can forget them.

Every console view derives from Guarded: it states which roles may read it and which may
write; Flask-Admin's default (everything open) is never reached. Network contacts see only
rows of their own institutes (`scope_query`), in lists, counts, exports and by id."""

from __future__ import annotations

from datetime import date, datetime
from functools import wraps
from itertools import chain
from typing import NamedTuple

from flask import Response, abort, redirect, request, stream_with_context, url_for
from flask_admin import AdminIndexView, BaseView, expose
from flask_admin.contrib.sqla import ModelView
from flask_admin.model import typefmt
from flask_admin.model.template import LinkRowAction
from flask_babel import get_locale, lazy_gettext
from jinja2.utils import htmlsafe_json_dumps
from markupsafe import Markup
from werkzeug.utils import secure_filename

from ra_console.console.faces import face_of, person_name
from ra_console.console.labels import COLUMN_LABELS, column_label, value_label
from ra_console.core.db import get_session
from ra_console.web.access import OPERATOR_ROLES
from ra_console.web.current import current_actor
from ra_console.web.formats import local_date, local_time
from ra_console.web.forms import Form
from ra_console.web.pages import state_label
from ra_console.web.spreadsheet import csv_lines
from ra_console.workflow import audit


def requires_roles(*roles: str):
    """For a console page narrower than its view: only these roles (403 for the rest).
    The access sweep reads `.roles` from the page."""
    def decorate(method):
        @wraps(method)
        def wrapped(self, *args, **kwargs):
            actor = current_actor()
            if actor is None or not any(actor.has_role(r) for r in roles):
                abort(403)
            return method(self, *args, **kwargs)
        wrapped.roles = roles
        return wrapped
    return decorate


class Guarded:
    """Role gate for every console view."""
    read_roles: tuple[str, ...] = ("ra_admin", "auditor")
    write_roles: tuple[str, ...] = ("ra_admin",)

    def is_accessible(self) -> bool:
        actor = current_actor()
        return actor is not None and any(actor.has_role(r) for r in self.read_roles)

    def inaccessible_callback(self, name, **kwargs):
        if current_actor() is None:
            return redirect(url_for("auth.login", next=request.full_path))
        abort(403)

    @property
    def may_write(self) -> bool:
        actor = current_actor()
        return actor is not None and any(actor.has_role(r) for r in self.write_roles)


# Who reads the audit log (AuditView); others get no link to a row's history.
AUDIT_READERS = ("ra_admin", "auditor")

# A row's history: its audit events (the audit list finds them by the row's public id).
HISTORY = LinkRowAction("fa fa-history", lambda action, row_id, row: url_for(
    "audit.index_view", search=row.public_id), title=lazy_gettext("History"))


class GuardedIndexView(Guarded, AdminIndexView):
    read_roles = OPERATOR_ROLES


class GuardedView(Guarded, BaseView):
    """A custom (non-model) console page."""

def _value(group: str):
    def format_value(view, context, model, name):
        return value_label(group, getattr(model, name))
    return format_value


def _person(view, context, model, name):
    return person_name(getattr(model, name))


def _mailbox(view, context, model, name):
    mailbox = getattr(model, name)
    return face_of(mailbox) if mailbox is not None else ""


# Keys whose values are identifiers on purpose (shown as code on pages, plain in exports).
CODE_KEYS = {"request_id"}


def readable(value, key: str | None = None, *, markup: bool = False) -> str:
    """A stored structure (a dict of audit data, an outbox payload, findings) as lines of
    "Label: value" with our labels; values of roles, kinds etc. as words."""
    if isinstance(value, dict):
        parts = [(column_label(k), readable(v, k, markup=markup)) for k, v in value.items()]
        if markup:
            return Markup("; ").join(Markup("{}: {}").format(label, text)
                                     for label, text in parts)
        return "; ".join(f"{label}: {text}" for label, text in parts)
    if isinstance(value, (list, tuple)):
        texts = [readable(v, key, markup=markup) for v in value]
        return Markup(", ").join(texts) if markup else ", ".join(texts)
    if key in VALUE_COLUMNS:
        return value_label(VALUE_COLUMNS[key], value)
    text = "" if value is None else str(value)
    if markup and key in CODE_KEYS:
        return Markup("<code>{}</code>").format(text)
    return text


def readable_column(view, context, model, name):
    return readable(getattr(model, name), name, markup=True)


def readable_export(view, context, model, name):
    return readable(getattr(model, name), name)


def _time(view, value, name=None):
    return local_time(value)


def _date(view, value, name=None):
    return local_date(value)


# Stored values shown as words, by column name (views add their own, e.g. the outbox kinds).
VALUE_COLUMNS = {"role": "role", "kind": "kind", "source": "source", "origin": "origin",
                 "method": "method", "document_type": "document_type",
                 "template": "template"}


class FilterMenu(NamedTuple):
    groups: dict
    labels: list[str]
    groups_json: Markup


class GuardedModelView(Guarded, ModelView):
    """A model list with role-dependent create/edit/delete/export and row-level scope.

    Column names, stored values and times are shown in the reader's language and time zone
    (console/labels.py), in lists, details, filters and exports alike."""
    # Flask-WTF's form: the same CSRF token the global CSRFProtect checks on every POST
    # (flask_admin.form.SecureForm makes its own tokens, which CSRFProtect refuses).
    form_base_class = Form
    allow_create = allow_edit = allow_delete = False
    can_view_details = True
    can_export = True
    export_types = ["csv"]
    page_size = 20  # rendering is most of a list's cost; operators can choose up to 100
    can_set_page_size = True
    details_template = "console/details.html"

    def render(self, template, **kwargs):
        return super().render(template, face_of=face_of, **kwargs)

    @property
    def can_create(self):
        return self.allow_create and self.may_write

    @property
    def can_edit(self):
        return self.allow_edit and self.may_write

    @property
    def can_delete(self):
        return self.allow_delete and self.may_write

    def __init__(self, *args, **kwargs):
        self.column_labels = {**COLUMN_LABELS, **(self.column_labels or {})}
        self.column_formatters = {
            **{name: _value(group) for name, group in VALUE_COLUMNS.items()},
            "person": _person, "mailbox": _mailbox,
            **(self.column_formatters or {})}
        if self.column_formatters_export is None:  # the same words, without markup
            self.column_formatters_export = {
                name: readable_export if formatter is readable_column else formatter
                for name, formatter in self.column_formatters.items()}
        times = {datetime: _time, date: _date}
        self.column_type_formatters = {**typefmt.BASE_FORMATTERS, **times}
        self.column_type_formatters_detail = {**typefmt.DETAIL_FORMATTERS, **times}
        self.column_type_formatters_export = {**typefmt.EXPORT_FORMATTERS, **times}
        super().__init__(*args, **kwargs)
        self._filter_menus: dict[str, FilterMenu] = {}

    def filter_menu(self) -> FilterMenu | None:
        """The filters' names and Flask-Admin's description of them for its filter script,
        in the reader's language: fixed once the view is made, so made once per language."""
        if not self._filter_groups:
            return None
        locale = str(get_locale())
        if locale not in self._filter_menus:
            groups = super()._get_filter_groups()
            self._filter_menus[locale] = FilterMenu(
                groups, list(groups), Markup(htmlsafe_json_dumps(groups)))
        return self._filter_menus[locale]

    def _get_filter_groups(self):
        menu = self.filter_menu()
        return menu.groups if menu else None

    def get_filter_arg(self, index, flt):
        """Filter URLs named by column and operation, the same in every language (the
        dashboard links to ?flt0_kind_equals=mail.alert)."""
        if not self.named_filter_urls:
            return super().get_filter_arg(index, flt)
        operation = flt.operation()
        operation = getattr(operation, "_args", [operation])[0]
        return f"{flt.column.key}_{str(operation).replace(' ', '_')}"

    def scope_query(self, query):
        """Restrict to what the actor may see; the default is everything (global roles)."""
        return query

    def get_query(self):
        return self.scope_query(super().get_query())

    def get_count_query(self):
        return self.scope_query(super().get_count_query())

    def get_one(self, id):
        row = self.scope_query(super().get_query()).filter(
            self.model.id == int(id) if str(id).isdigit() else False).first()
        if row is None:
            abort(404)
        return row

    @property
    def shows_history(self) -> bool:
        actor = current_actor()
        return actor is not None and any(actor.has_role(r) for r in AUDIT_READERS)

    def get_list_row_actions(self):
        """The row icons; the history only for those who may read the audit log."""
        actions = super().get_list_row_actions()
        return actions if self.shows_history else [a for a in actions if a is not HISTORY]

    def is_action_allowed(self, name: str) -> bool:
        return self.may_write and super().is_action_allowed(name)

    @expose("/export/<export_type>/")
    def export(self, export_type):
        actor = current_actor()
        session = get_session()
        audit.append_event(session, entity_type="export", entity_id=self.endpoint,
                           trigger="export", actor=actor.username, role=_main_role(actor),
                           ip=actor.ip, data={"format": export_type,
                                              "query": request.query_string.decode()[:500]})
        session.commit()
        return super().export(export_type)

    def _export_csv(self, return_url):
        """Flask-Admin's CSV export, written by the formula-neutralising writer: every view
        derives from this class, so no export can skip it."""
        _count, data = self._export_data()
        titles = [title for _name, title in self._export_columns]
        rows = ([self.get_export_value(row, name) for name, _title in self._export_columns]
                for row in data)
        filename = secure_filename(self.get_export_name(export_type="csv"))
        return Response(stream_with_context(csv_lines(chain([titles], rows))),
                        headers={"Content-Disposition": f"attachment;filename={filename}"},
                        mimetype="text/csv")


def institute_scope(query, column, *, join: tuple = ()):
    """Limit a list to the actor's institutes (`column`, reached through `join`), unless
    the actor sees everything: then no join either (it made every count scan a table)."""
    actor = current_actor()
    if actor.sees_everything:
        return query
    if join:
        query = query.join(*join)
    return query.filter(column.in_(sorted(actor.institutes())))


def status_label(workflow: str):
    """Column formatter: the state's label in the reader's language."""
    def format_status(view, context, model, name):
        return state_label(workflow, model.status)
    return format_status


def _main_role(actor) -> str:
    for role in ("ra_admin", "auditor", "id_verifier", "network_contact"):
        if actor.has_role(role):
            return role
    return "user"
