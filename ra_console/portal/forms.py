"""Forms of the user pages (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    RadioField,
    SelectChoice,
    SelectField,
    TextAreaField,
)

from ra_console.pki.revocation import USER_REASONS


class RequestForm(FlaskForm):
    mailbox = RadioField(validate_choice=False)
    # aliases: one checkbox list per mailbox, named aliases-<mailbox id> (see views.py)
    consent_name_and_mailbox = BooleanField()
    consent_data_processing = BooleanField()
    consent_directory_publication = BooleanField()
    csr_file = FileField()
    csr_text = TextAreaField()


class ConfirmForm(FlaskForm):
    """An empty form: the confirmation button plus its CSRF token."""


class RevokeForm(FlaskForm):
    reason = SelectField(choices=[SelectChoice(r, r) for r in USER_REASONS], validate_choice=True)
