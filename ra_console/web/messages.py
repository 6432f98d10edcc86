"""Texts for error codes (refused address rows, challenge links, typed input, refused
rules, audit chain checks, revocation by key) and for the browser code shared by several
audiences, in the reader's language."""

from __future__ import annotations

from flask_babel import gettext as _

from ra_console.pki.requestfile import MAX_ITERATIONS


def _field(p: dict) -> str:
    """The refused field's label; a CSV column is named by its header as it is."""
    name = p.get("field", "")
    labels = {
        "display_name": _("The display name"), "comment": _("The comment"),
        "legal_given_name": _("The legal given name"),
        "legal_surname": _("The legal surname"),
        "document_issuer": _("The issuing authority"),
        "document_number": _("The document number"), "reason": _("The reason"),
        "name": _("The name"), "description": _("The description"),
        "conclusion": _("The conclusion"),
    }
    return labels.get(name) or _("The column '%(column)s'", column=name)


# The rules of pki/input_rules.py, wherever a person types the text.
INPUT_MESSAGES = {
    "bad_address": lambda p: _("'%(address)s' is not a valid e-mail address (ASCII only; "
                               "international domains as xn--).", address=p.get("address")),
    "address_too_long": lambda p: _(
        "'%(address)s' is too long: an e-mail address has at most %(local_max)s characters "
        "before the @ and %(max)s in all.", address=p.get("address"),
        local_max=p.get("local_max"), max=p.get("max")),
    "bad_username": lambda p: _(
        "'%(value)s' is not a valid user name: at most %(max)s characters, letters and digits "
        "and . _ - @ + = : | (starting with a letter or digit).", value=p.get("value"),
        max=p.get("max")),
    "text_control": lambda p: _(
        "%(field)s contains a control or invisible character (such as NUL); please type "
        "it again.", field=_field(p)),
    "name_markup": lambda p: _("%(field)s must not contain < or >.", field=_field(p)),
    "text_too_long": lambda p: _("%(field)s is longer than %(max)s characters.",
                                 field=_field(p), max=p.get("max")),
    "document_number_invalid": lambda p: _(
        "The document number may contain letters, digits, spaces and . / - only, at most "
        "%(max)s characters.", max=p.get("max")),
}


def input_message(code: str, params: dict | None = None) -> str | None:
    """The text for a broken input rule, or None for other codes."""
    builder = INPUT_MESSAGES.get(code)
    return builder(params or {}) if builder else None


ADDRESS_MESSAGES = {
    "bad_kind": lambda p: _("Unknown mailbox type '%(kind)s' (personal or functional).",
                            kind=p.get("kind")),
    "too_many_aliases": lambda p: _("At most %(max)s aliases per row.", max=p.get("max")),
    "own_name_approval": lambda p: _("Nobody approves their own mailbox name."),
    "name_not_awaiting_approval": lambda p: _(
        "Only a functional mailbox's display name that is not yet approved can be approved."),
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
    builder = ADDRESS_MESSAGES.get(code) or INPUT_MESSAGES.get(code)
    if builder is None:
        return _("The change was not possible (%(code)s).", code=code or "?")
    return builder(params or {})


def _wrong_type(p: dict) -> str:
    if p.get("expected") == "int":
        return _("must be a whole number")
    return _("has the wrong type")


# The rules for certificate profiles (pki/profiles.py), configuration values
# (core/config.py) and the console's own (adapters/overrides.py): one namespace of codes.
RULE_MESSAGES = {
    # pki.profiles.PROBLEMS
    "not_text": lambda p: _("must not be empty"),
    "not_a_choice": lambda p: _("is not one of the choices"),
    "not_bool": lambda p: _("must be yes or no"),
    "between": lambda p: _("must be a whole number between %(low)s and %(high)s",
                           low=p.get("low"), high=p.get("high")),
    "empty_list": lambda p: _("must not be empty"),
    "not_list": lambda p: _("must be a list"),
    "algorithm": lambda p: _(
        "unsupported key algorithm %(value)s (RSA-2048 to RSA-8192, EC-P256, EC-P384, EC-P521)",
        value=p.get("value")),
    "not_pairs": lambda p: _("each line must read attribute=value"),
    "not_attribute_mapping": lambda p: _("each line must read attribute=value"),
    "attribute": lambda p: _("unsupported attribute %(value)s (C, ST, L, O, OU, "
                             "organizationIdentifier)", value=p.get("value")),
    "attribute_twice": lambda p: _("attribute %(value)s given twice", value=p.get("value")),
    "attribute_empty": lambda p: _("%(attr)s must not be empty", attr=p.get("attr")),
    "attribute_too_long": lambda p: _("%(attr)s is longer than %(limit)s characters",
                                      attr=p.get("attr"), limit=p.get("limit")),
    "mailbox_subject": lambda p: _("must be empty for mailbox-validated profiles (no "
                                   "organisation data)"),
    "sponsor_needs": lambda p: _("sponsor-validated profiles need %(attrs)s",
                                 attrs=p.get("attrs")),
    "country_code": lambda p: _("C must be a two-letter country code"),
    "org_identifier": lambda p: _("organizationIdentifier must look like "
                                  "'VATDE-DE123456789'"),
    "org_identifier_country": lambda p: _("the country in organizationIdentifier differs "
                                          "from C"),
    "needs_country": lambda p: _("%(attr)s needs C as well", attr=p.get("attr")),
    "not_mapping": lambda p: _("has the wrong type"),
    "unknown_key": lambda p: _("cannot be changed in the console"),
    "missing": lambda p: _("must not be empty"),
    # core.config.PROBLEMS
    "wrong_type": _wrong_type,
    "languages": lambda p: _("is not one of the choices"),
    "timezone": lambda p: _("must be a time zone name like Europe/Berlin"),
    "positive": lambda p: _("must be greater than 0"),
    "not_negative": lambda p: _("must not be negative"),
    "challenge_hours": lambda p: _("must be at most 24 hours (S/MIME BR 3.2.2.2)"),
    "identity_days": lambda p: _("must be between 1 and 825 days (S/MIME BR 4.2.1)"),
    "document_types": lambda p: _("may list passport, ID card and residence permit"),
    "max_aliases": lambda p: _("must be a whole number between %(low)s and %(high)s",
                               low=0, high=5),
    "grace_days": lambda p: _("must be between 0 and 5 days (S/MIME BR 4.9.1.1)"),
    "reminder_days": lambda p: _("must list whole numbers of days above 0"),
    "cert_types": lambda p: _("each line must read profile=CA type"),
    "required_attributes": lambda p: _("may list %(choices)s", **p),
    "percent": lambda p: _("must be between 1 and 100"),
    # adapters.overrides.PROBLEMS
    "unknown_ca": lambda p: _("unknown CA (local, harica or sectigo)"),
    "no_profile": lambda p: _("there is no profile named '%(name)s'", name=p.get("name")),
    "name_too_long": lambda p: _("is longer than %(limit)s characters", limit=p.get("limit")),
    "not_editable": lambda p: _("cannot be changed in the console"),
    "no_remote_ca": lambda p: _("there is no remote CA named '%(name)s'", name=p.get("name")),
    "anchors_unreadable": lambda p: _("the file cannot be read (%(reason)s)",
                                      reason=p.get("reason")),
    "not_url": lambda p: _("must start with https:// (or http://)"),
}


def rule_message(code: str, params: dict | None = None) -> str:
    """Why a profile or CA value was refused, in the reader's language."""
    builder = RULE_MESSAGES.get(code)
    if builder is None:
        return _("The change was not possible (%(code)s).", code=code or "?")
    return builder(params or {})


# workflow.audit.PROBLEMS: why `audit verify` fails, for the console's chain page.
AUDIT_MESSAGES = {
    "missing": lambda p: _("event #%(seq)s is missing (next is #%(next)s)", **p),
    "link_changed": lambda p: _("event #%(seq)s was changed (its link to #%(prev)s)", **p),
    "mac_changed": lambda p: _("event #%(seq)s was changed (its MAC)", **p),
    "head_missing": lambda p: _("the head row is missing (the chain ends at #%(last)s)", **p),
    "tail_missing": lambda p: _("events #%(first)s to #%(last)s are missing (the head row "
                                "names #%(last)s)", **p),
    "head_rewound": lambda p: _("the head row was rewound to #%(head)s (the chain ends at "
                                "#%(last)s)", **p),
    "witness_changed": lambda p: _("the witness file was changed at line %(line)s "
                                   "(changed, inserted, or a line before it removed)",
                                   **p),
    "witness_missing": lambda p: _("the witness file is missing or empty (%(path)s)", **p),
    "witnessed_missing": lambda p: _("events #%(first)s to #%(last)s are missing (witnessed "
                                     "at %(at)s)", **p),
    "witness_differs": lambda p: _("event #%(seq)s differs from the witness (line %(line)s)",
                                   **p),
}


def audit_message(code: str, params: dict) -> str:
    """Why the audit chain does not verify, in the reader's language."""
    return AUDIT_MESSAGES[code](params)


# Revocation by key possession (public/revoke.py): codes of usecases.certificates.
# PossessionError's codes arrive through RevocationError(exc.code).
REVOCATION_MESSAGES = {
    "challenge_invalid": lambda p: _(
        "This challenge was not issued by this page. Please sign the challenge shown now."),
    "challenge_expired": lambda p: _(
        "The challenge has expired (it is valid for 30 minutes). Please sign the new one "
        "shown on this page."),
    "certificate_missing": lambda p: _(
        "Please choose your request file (.json), or upload the certificate and the "
        "signature."),
    "not_a_certificate": lambda p: _(
        "The certificate file cannot be read. Upload the certificate as PEM or DER."),
    "signature_missing": lambda p: _("Please upload or paste the signature."),
    "unknown_certificate": lambda p: _(
        "No certificate issued by this RA has this public key."),
    "bad_signature": lambda p: _(
        "The signature does not match: it was not made with the certificate's private key "
        "over the challenge shown on this page."),
    "already_revoked": lambda p: _("The certificate %(serial)s is already revoked.",
                                   serial=p.get("serial", "")),
    "expired": lambda p: _(
        "The certificate %(serial)s has expired; an expired certificate is not revoked.",
        serial=p.get("serial", "")),
}


# Certificate problem reports (usecases/problem_reports.py): the public form and the console.
REPORT_MESSAGES = {
    "certificate_missing": lambda p: _(
        "Please give the certificate's serial number or upload the certificate."),
    "serial_invalid": lambda p: _(
        "The serial number may contain only the digits 0-9 and the letters a-f (colons and "
        "spaces are fine), at most 64 of them."),
    "not_a_certificate": lambda p: _(
        "The certificate file cannot be read. Upload the certificate as PEM or DER."),
    "unknown_certificate": lambda p: _(
        "No certificate issued by this RA has this serial number. Please check it, or "
        "upload the certificate."),
    "email_missing": lambda p: _("Please give an e-mail address where we can reach you."),
    "kind_missing": lambda p: _("Please choose what kind of problem it is."),
    "description_missing": lambda p: _("Please describe the problem."),
    "conclusion_missing": lambda p: _("Please write the conclusion: it is mailed to the "
                                      "reporter and the certificate's holder."),
    "not_revocable": lambda p: _(
        "The certificate %(serial)s is not valid any more (revoked or expired): it cannot "
        "be revoked.", serial=p.get("serial", "")),
}


def report_message(code: str, params: dict | None = None) -> str:
    params = params or {}
    typed = input_message(code, params)  # a broken input rule (pki/input_rules.py)
    if typed is not None:
        return typed
    builder = REPORT_MESSAGES.get(code)
    return builder(params) if builder else _("The change was not possible (%(code)s).",
                                             code=code or "?")


def revocation_message(code: str, params: dict | None = None) -> str:
    builder = REVOCATION_MESSAGES.get(code)
    if builder is None:
        return _("The change was not possible (%(code)s).", code=code or "?")
    return builder(params or {})


# API tokens (usecases/api_tokens.py): the portal's token page and the API say these.
TOKEN_MESSAGES = {
    "token_name_missing": lambda p: _("Please give the token a name."),
    "token_scopes_missing": lambda p: _("Please choose at least one role for the token."),
    "token_scope_not_held": lambda p: _(
        "You do not hold the role '%(scope)s', so a token cannot have it.",
        scope=p.get("scope")),
    "token_days": lambda p: _("A token is valid for 1 to %(max)s days.", max=p.get("max")),
    "token_unknown": lambda p: _("You have no such token."),
}


def token_message(code: str, params: dict | None = None) -> str:
    builder = TOKEN_MESSAGES.get(code) or INPUT_MESSAGES.get(code)
    if builder is None:
        return _("The change was not possible (%(code)s).", code=code or "?")
    return builder(params or {})


def request_file_texts() -> dict[str, str]:
    """What the browser says about a request file it opens (the .p12 page, the revocation
    page). `{name}` marks a value the browser fills in."""
    return {
        "choose_file": _("Please choose your request file (.json)."),
        "password_missing": _("Please enter the password of the request file."),
        "decrypting": _("Decrypting the private key …"),
        "not_a_request_file": _("This is not a request file (.json) of this portal."),
        "damaged": _("The request file is damaged. Use an unchanged copy of the file you "
                     "saved when you made the request."),
        "unsupported_version": _("This request file has a format version (%(version)s) this "
                                 "portal cannot read.", version="{version}"),
        "unsupported_encryption": _("The private key in this request file is encrypted with "
                                    "a method this portal does not read."),
        "too_many_iterations": _(
            "The request file asks for %(iterations)s key derivation iterations; at most "
            "%(max)s are accepted. It was not made by this portal.",
            iterations="{iterations}", max=str(MAX_ITERATIONS)),
        "wrong_password": _("Wrong password for the request file."),
    }


# A SCIM client refused in the console (usecases/scim_clients.py).
SCIM_CLIENT_MESSAGES = {
    "scim_client_name": lambda p: _("Please give the SCIM client a name of at most %(max)s "
                                    "characters.", max=p.get("max")),
    "scim_client_exists": lambda p: _("A SCIM client named '%(name)s' exists already.",
                                      name=p.get("name")),
}
