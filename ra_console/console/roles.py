"""Roles and mail domains: who holds a role and which institute a domain belongs to, by
name (and e-mail address), never by the database's person or institute number."""

from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext
from sqlmodel import select
from wtforms import SelectChoice, SelectField, StringField, ValidationError
from wtforms.validators import InputRequired

from ra_console.console.base import GuardedModelView
from ra_console.console.faces import face_of, person_name
from ra_console.console.labels import VALUE_LABELS, value_label
from ra_console.core.db import get_session
from ra_console.models import Institute, Person
from ra_console.web.current import current_actor
from ra_console.workflow import audit


def person_email(person: Person | None) -> str:
    """The first address the IdM gave for the person (where the RA writes to them)."""
    return (person.idm_emails.split() or [""])[0] if person else ""


def _person(view, context, model, name):
    return person_name(model.person)


def _email(view, context, model, name):
    return person_email(model.person)


def _role(view, context, model, name):
    return value_label("role", model.role)


def _institute(view, context, model, name):
    return face_of(model.institute) if model.institute else ""


class PersonField(StringField):
    """A person by user name: the form shows and takes the name, the row keeps the id."""

    person: Person | None = None

    def pre_validate(self, form):
        username = (self.data or "").strip()
        self.person = get_session().exec(select(Person).where(
            Person.username == username)).first() if username else None
        if self.person is None:
            raise ValidationError(_("No person has the user name “%(name)s”.", name=username)
                                  if username else _("Enter the person's user name."))

    def populate_obj(self, obj, name):
        setattr(obj, name, self.person.id)


def institute_choices(optional: bool) -> list[SelectChoice]:
    institutes = get_session().exec(select(Institute).order_by(Institute.code)).all()
    return [*([SelectChoice("", _("(none)"))] if optional else []),
            *(SelectChoice(str(i.id), face_of(i)) for i in institutes)]


def _institute_id(value):
    return int(value) if value not in (None, "", "None") else None


class InstituteChoiceMixin:
    """The institute chosen from a list of names (the list is read for each form)."""

    institute_optional = True

    def create_form(self, obj=None):
        form = super().create_form(obj)
        form.institute_id.choices = institute_choices(self.institute_optional)
        return form


class RoleView(InstituteChoiceMixin, GuardedModelView):
    allow_create = allow_delete = True
    # "assigned_role", not "role": the lists hide a column "role" below 1200 px (the audit
    # log's), and here it is what the row is about
    column_list = ["person", "email", "assigned_role", "institute"]
    column_details_list = column_export_list = column_list
    column_sortable_list = [("assigned_role", "role")]
    column_filters = ["role"]
    column_labels = {"person": lazy_gettext("Person"), "email": lazy_gettext("E-mail address"),
                     "assigned_role": lazy_gettext("Role"), "institute": lazy_gettext("Institute")}
    column_formatters = {"person": _person, "email": _email, "assigned_role": _role,
                         "institute": _institute}
    form_columns = ["person_id", "role", "institute_id"]
    # form_overrides, not form_choices: Flask-Admin builds form_choices as tuples, which
    # WTForms 3.3 deprecates.
    form_overrides = {"role": SelectField, "person_id": PersonField,
                      "institute_id": SelectField}
    form_args = {
        "role": {"choices": [SelectChoice(r, VALUE_LABELS["role"][r]) for r in (
            "network_contact", "id_verifier", "ra_admin", "auditor")]},
        "person_id": {"label": lazy_gettext("User name of the person")},
        "institute_id": {"label": lazy_gettext("Institute"), "coerce": _institute_id,
                         "validate_choice": False}}

    def after_model_change(self, form, model, is_created):
        self._audit("role_granted", model)

    def after_model_delete(self, model):
        self._audit("role_revoked", model)

    def _audit(self, trigger, model):
        actor = current_actor()
        session = get_session()
        audit.append_event(session, entity_type="role", entity_id=str(model.person_id),
                           trigger=trigger, actor=actor.username, role="ra_admin", ip=actor.ip,
                           data={"role": model.role, "institute_id": model.institute_id})
        session.commit()


class DomainView(InstituteChoiceMixin, GuardedModelView):
    allow_create = allow_delete = True
    institute_optional = False
    column_list = ["domain", "institute"]
    column_details_list = column_export_list = column_list
    column_searchable_list = ["domain"]
    column_sortable_list = ["domain"]
    column_labels = {"institute": lazy_gettext("Institute")}
    column_formatters = {"institute": _institute}
    form_columns = ["institute_id", "domain"]
    form_overrides = {"institute_id": SelectField}
    form_args = {"institute_id": {"label": lazy_gettext("Institute"), "coerce": _institute_id,
                                  "validate_choice": False, "validators": [InputRequired()]}}
