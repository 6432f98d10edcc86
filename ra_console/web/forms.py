"""The app's form base: Flask-WTF's form (CSRF) with WTForms' own messages in the reader's
language, loaded once per language and process (Flask-WTF loads that catalogue from disk
on every request that makes a form)."""

from __future__ import annotations

from functools import lru_cache

from babel.support import Translations
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms.i18n import messages_path


@lru_cache(maxsize=16)
def _catalogue(locale: str) -> Translations:
    return Translations.load(messages_path(), [locale], domain="wtforms")


class _WTFormsMessages:
    def gettext(self, string: str) -> str:
        return _catalogue(str(get_locale())).ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return _catalogue(str(get_locale())).ungettext(singular, plural, n)


MESSAGES = _WTFormsMessages()


class Form(FlaskForm):
    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            return MESSAGES
