"""Demo only: the mail catcher, so a demo user can read what the RA sent."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

from flask import Blueprint, current_app, render_template

from ra_console.web.access import public

bp = Blueprint("demo", __name__, url_prefix="/demo")


@bp.route("/mail")
@public
def mail():
    folder = Path(current_app.extensions["ra_runtime"].config["instance_path"]) / "mail"
    messages = []
    for path in sorted(folder.glob("*.eml"), reverse=True)[:200]:
        parsed = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        body = parsed.get_body(preferencelist=("plain",))
        messages.append({"to": parsed["To"], "subject": parsed["Subject"],
                         "date": parsed["Date"], "body": body.get_content() if body else ""})
    return render_template("demo/mail.html", messages=messages)
