"""Forms of the user pages (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    RadioField,
    SelectChoice,
    SelectField,
    TextAreaField,
)

from ra_console.pki.revocation import USER_REASONS
from ra_console.web.forms import Form


class RequestForm(Form):
    mailbox = RadioField(validate_choice=False)
    # aliases: one checkbox list per mailbox, named aliases-<mailbox id> (see views.py)
    consent_name_and_mailbox = BooleanField()
    consent_data_processing = BooleanField()
    consent_directory_publication = BooleanField()
    csr_file = FileField()
    csr_text = TextAreaField()


class ConfirmForm(Form):
    """An empty form: the confirmation button plus its CSRF token."""


class RevokeForm(Form):
    reason = SelectField(choices=[SelectChoice(r, r) for r in USER_REASONS], validate_choice=True)
