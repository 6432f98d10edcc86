"""CSV import page: upload, preview row by row, then import all valid rows at once."""

from __future__ import annotations

import base64
import binascii

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _

from ra_console.console.base import GuardedView
from ra_console.console.mailboxes import institutes_of
from ra_console.core.db import get_session
from ra_console.usecases.addresses import send_challenge
from ra_console.usecases.csv_import import CsvError, apply, plan
from ra_console.web.current import current_actor
from ra_console.web.forms import Form
from ra_console.web.messages import address_message
from ra_console.workflow.state import WorkflowError


def csv_error_message(exc: CsvError) -> str:
    if exc.code == "not_utf8":
        return _("The file is not UTF-8 encoded (problem at byte %(position)s). Please save "
                 "it as UTF-8 CSV.", position=exc.params.get("position"))
    if exc.code == "missing_columns":
        return _("The file lacks the columns: %(columns)s.", columns=exc.params.get("columns"))
    return _("The file cannot be read.")


class CsvImportView(GuardedView):
    read_roles = ("network_contact", "ra_admin")
    write_roles = ("network_contact", "ra_admin")

    def _institute(self):
        chosen = request.form.get("institute_id", "")
        return next((i for i in institutes_of(current_actor()) if str(i.id) == chosen), None)

    def _read(self):
        """The uploaded file (preview) or the carried-over content (import)."""
        upload = request.files.get("file")
        if upload is not None and upload.filename:
            return upload.read()
        try:
            return base64.b64decode(request.form.get("content", ""), validate=True)
        except (binascii.Error, ValueError):
            return b""

    @expose("/", methods=["GET", "POST"])
    def index(self):
        form = Form()
        institutes = institutes_of(current_actor())
        if request.method == "GET":
            return self.render("console/csv_import.html", form=form, institutes=institutes,
                               rows=None)
        if not form.validate_on_submit():
            flash(_("The form has expired. Please go back, reload the page and try again."),
                  "error")
            return redirect(url_for(".index"))
        institute = self._institute()
        raw = self._read()
        limit = get_session().info["runtime"].config["max_upload_bytes"]
        if institute is None or not raw or len(raw) > limit:
            flash(_("Please choose one of your institutes and a CSV file (at most %(max)s "
                    "bytes).", max=limit), "error")
            return self.render("console/csv_import.html", form=form, institutes=institutes,
                               rows=None), 400
        session = get_session()
        max_aliases = session.info["runtime"].config["addresses.max_aliases"]
        try:
            rows = plan(session, institute, raw, max_aliases=max_aliases)
        except CsvError as exc:
            flash(csv_error_message(exc), "error")
            return self.render("console/csv_import.html", form=form, institutes=institutes,
                               rows=None), 400
        if request.form.get("step") != "import":
            messages = {r.line: address_message(r.error, r.params) for r in rows if r.error}
            return self.render("console/csv_import.html", form=form, institutes=institutes,
                               rows=rows, messages=messages, institute=institute,
                               content=base64.b64encode(raw).decode())
        return self._import(session, institute, rows, max_aliases)

    def _import(self, session, institute, rows, max_aliases):
        actor = current_actor()
        created = apply(session, actor, institute, rows, max_aliases=max_aliases)
        challenged = 0
        if request.form.get("send_challenges"):
            for mailbox in created:
                try:
                    with session.begin_nested():
                        send_challenge(session, mailbox, actor)
                    challenged += 1
                except WorkflowError:
                    pass  # e.g. a functional name still waiting for approval
        session.commit()
        counts = {a: sum(1 for r in rows if r.action == a)
                  for a in ("create", "update", "unchanged", "error")}
        flash(_("Imported: %(create)s new, %(update)s updated, %(unchanged)s unchanged; "
                "%(error)s rows with errors were skipped. Challenge e-mails: %(sent)s.",
                sent=challenged, **counts), "success")
        return redirect(url_for("mailboxes.index_view"))
