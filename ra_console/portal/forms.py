"""Forms of the user pages (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget

from ra_console.pki.revocation import USER_REASONS


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RequestForm(FlaskForm):
    mailbox = RadioField(validate_choice=False)
    aliases = MultiCheckboxField(validate_choice=False)
    consent_name_and_mailbox = BooleanField()
    consent_data_processing = BooleanField()
    consent_directory_publication = BooleanField()
    csr_file = FileField()
    csr_text = TextAreaField()


class ConfirmForm(FlaskForm):
    """An empty form: the confirmation button plus its CSRF token."""


class RevokeForm(FlaskForm):
    reason = SelectField(choices=[SelectChoice(r, r) for r in USER_REASONS], validate_choice=True)
