"""Texts for refused address rows and challenge links, in the reader's language."""

from __future__ import annotations

from flask_babel import gettext as _

ADDRESS_MESSAGES = {
    "bad_address": lambda p: _("'%(address)s' is not a valid e-mail address (ASCII only; "
                               "international domains as xn--).", address=p.get("address")),
    "bad_kind": lambda p: _("Unknown mailbox type '%(kind)s' (personal or functional).",
                            kind=p.get("kind")),
    "too_many_aliases": lambda p: _("At most %(max)s aliases per row.", max=p.get("max")),
    "duplicate_in_row": lambda p: _("An address appears twice in the row."),
    "foreign_domain": lambda p: _(
        "%(address)s is not in the institute's mail domains (%(domains)s).",
        address=p.get("address"), domains=p.get("domains")),
    "address_taken": lambda p: _("%(address)s already belongs to another row.",
                                 address=p.get("address")),
    "username_missing": lambda p: _("Please give the user name of the person."),
    "applicant_missing": lambda p: _("A functional mailbox needs the applicant's user name."),
    "display_name_missing": lambda p: _("A functional mailbox needs a display name."),
    "person_unknown": lambda p: _("No unique person named '%(name)s' is known; add a "
                                  "Username column.", name=p.get("name")),
    "applicant_unknown": lambda p: _("No person has the confirmed address %(address)s.",
                                     address=p.get("address")),
    "duplicate_in_file": lambda p: _("%(address)s appears more than once in the file.",
                                     address=p.get("address")),
    "extra_cells": lambda p: _("The row has more cells than the header."),
    "token_unknown": lambda p: _("This confirmation link is not valid. Please use the "
                                 "newest link you received, or ask your network contact."),
    "token_used": lambda p: _("This confirmation link was already used."),
    "token_superseded": lambda p: _("This confirmation link was replaced by a newer one. "
                                    "Please use the newest e-mail."),
    "token_expired": lambda p: _("This confirmation link has expired. Please ask your network "
                                 "contact to send a new one."),
    "token_wrong_person": lambda p: _("This confirmation link is meant for another person. "
                                      "Please sign in with the user name named in the e-mail."),
}


def address_message(code: str, params: dict | None = None) -> str:
    builder = ADDRESS_MESSAGES.get(code)
    if builder is None:
        return _("The change was not possible (%(code)s).", code=code or "?")
    return builder(params or {})
