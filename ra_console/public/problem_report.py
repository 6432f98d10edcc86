"""Certificate problem reports without an account: /pki/problem-report.

Anyone (a recipient of misused mail, a finder of a leaked key, the holder) reports a
certificate by serial number or file; the case opens in the console with the response
clock (usecases/problem_reports.py). Under /pki/ the form is reachable from outside the
organisation's networks; POSTs are rate-limited per client address (limits.problem_report)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_babel import get_locale

from ra_console.core.db import get_session
from ra_console.usecases.problem_reports import KINDS, ReportError, ReportInput, open_report
from ra_console.web.access import public
from ra_console.web.forms import Form
from ra_console.web.limits import spend
from ra_console.web.messages import report_message
from ra_console.web.pages import form_expired

bp = Blueprint("problem_report", __name__, url_prefix="/pki")


class ReportForm(Form):
    """Only the CSRF token: the fields are read from request.form, so that a refused
    report comes back with everything typed."""


def _input() -> ReportInput:
    upload = request.files.get("certificate_file")
    return ReportInput(
        serial=request.form.get("serial", ""),
        certificate_file=upload.read() if upload else b"",
        email=request.form.get("email", ""), kind=request.form.get("kind", ""),
        description=request.form.get("description", ""), lang=str(get_locale()))


@bp.route("/problem-report", methods=["GET", "POST"])
@public
def report():
    form, error, opened, status = ReportForm(), None, None, 200
    if request.method == "POST":
        if not form.validate_on_submit():
            error, status = form_expired(), 400
        else:
            spend("problem_report")  # each report counts, whatever its outcome
            db = get_session()
            try:
                opened = open_report(db, current_app.extensions["ra_runtime"], _input(),
                                     request.remote_addr)
                db.commit()
            except ReportError as exc:
                db.rollback()
                error, status = report_message(exc.code, exc.params), 400
    values = request.form if error else {}
    return render_template("public/problem_report.html", form=form, error=error,
                           opened=opened, kinds=KINDS, values=values), status
