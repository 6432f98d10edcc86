"""Identitätsprüfung: verification staff enter the person's code, check the document in
person and record the result. Staff cannot look codes up; nobody verifies themselves."""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _

from ra_console.console.base import GuardedModelView, GuardedView
from ra_console.core.db import get_session
from ra_console.models import Person
from ra_console.usecases.identity import (
    DOCUMENT_TYPES,
    DocumentRecord,
    IdentityError,
    find_by_code,
    reject,
    verify,
)
from ra_console.web.current import current_actor
from ra_console.web.forms import Form
from ra_console.web.limits import spend
from ra_console.web.messages import input_message
from ra_console.workflow.state import WorkflowError


def identity_message(code: str, params: dict | None = None) -> str:
    params = params or {}
    typed = input_message(code, params)  # a broken input rule (pki/input_rules.py)
    if typed is not None:
        return typed
    return {
        "unknown_code": _("No identity check has this code."),
        "code_used": _("This code was already used or withdrawn."),
        "document_refused": _("A driving licence is not accepted: please ask for a passport, "
                              "national ID card or residence permit."),
        "document_type_unknown": _("Please choose the document type."),
        "missing_fields": _("Please fill in: %(fields)s.", fields=params.get("fields", "")),
        "document_expired": _("The document has expired; it cannot be accepted."),
        "document_number_short": _("The document number is too short."),
        "reason_missing": _("Please give a reason for the rejection."),
        "condition": _("Nobody verifies their own identity."),
        "forbidden": _("You are not allowed to do this."),
    }.get(code, _("The action failed (%(code)s).", code=code))


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


class IdentityDeskView(GuardedView):
    read_roles = ("id_verifier",)
    write_roles = ("id_verifier",)

    def _page(self, **context):
        context.setdefault("form", Form())
        context.setdefault("check", None)
        context.setdefault("error", None)
        return self.render("console/identity_desk.html", document_types=DOCUMENT_TYPES,
                           **context)

    @expose("/", methods=["GET", "POST"])
    def index(self):
        form = Form()
        if request.method == "GET":
            return self._page()
        if not form.validate_on_submit():
            return self._page(error=_("The form has expired. Please go back, reload the page "
                                      "and try again.")), 400
        spend("identity_code")
        session, actor = get_session(), current_actor()
        code = request.form.get("code", "")
        try:
            check = find_by_code(session, code)
        except IdentityError as exc:
            return self._page(error=identity_message(exc.code)), 400
        person = session.get(Person, check.person_id)
        step = request.form.get("step", "lookup")
        if step == "lookup":
            return self._page(check=check, person=person, code=code)
        runtime = session.info["runtime"]
        try:
            if step == "verify":
                record = DocumentRecord(
                    legal_given_name=request.form.get("legal_given_name", ""),
                    legal_surname=request.form.get("legal_surname", ""),
                    document_type=request.form.get("document_type", ""),
                    document_issuer=request.form.get("document_issuer", ""),
                    document_number=request.form.get("document_number", ""),
                    document_expiry=_date(request.form.get("document_expiry", "")))
                verify(session, actor, check, record, secret=runtime.config["secret_key"],
                       now=runtime.now(), valid_days=runtime.config["identity.valid_days"],
                       accepted=runtime.config["identity.document_types"])
                message = _("Identity of %(name)s confirmed.", name=person.username)
            else:
                reject(session, actor, check, request.form.get("reason", ""))
                message = _("Identity check of %(name)s rejected.", name=person.username)
            session.commit()
        except (IdentityError, WorkflowError) as exc:
            session.rollback()
            return self._page(check=check, person=session.get(Person, check.person_id),
                              code=code, error=identity_message(exc.code, getattr(
                                  exc, "params", {}))), 400
        flash(message, "success")
        return redirect(url_for(".index"))


class IdentityCheckView(GuardedModelView):
    read_roles = ("id_verifier", "ra_admin", "auditor")
    write_roles = ()
    column_list = ["person", "status", "legal_given_name", "legal_surname",
                   "document_type", "document_issuer", "document_number_last",
                   "document_expiry", "verifier", "verified_at", "valid_until", "created_at"]
    column_filters = ["status", "document_type", "verifier", "valid_until"]
    column_searchable_list = ["legal_surname", "legal_given_name", "verifier"]
    column_default_sort = ("created_at", True)
    # hashes never leave the database: not shown, not exported
    column_details_exclude_list = ["code_hash", "document_number_hash"]
    column_export_list = column_list  # the person by name, not by number
