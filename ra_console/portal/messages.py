"""User-facing texts for refused requests, in the user's language."""

from __future__ import annotations

from flask_babel import format_date, gettext as _


def _allowed(params: dict) -> str:
    allowed = params.get("allowed") or ()
    return ", ".join(str(a) for a in allowed)


MESSAGES = {
    "identity_check_needed": lambda p: _(
        "You have no employee or student status. Before you can request a certificate, "
        "your identity must be verified in person."),
    "unknown_address": lambda p: _("Please choose one of your confirmed e-mail addresses."),
    "open_request": lambda p: _(
        "A request for this address is already being processed, so no new one can be "
        "made now."),
    "valid_certificate": lambda p: _(
        "This address has a certificate valid until %(date)s. A new one can be requested "
        "once it is revoked, expired or valid for less than %(days)s days.",
        date=format_date(p["valid_until"]) if p.get("valid_until") else "?",
        days=p.get("days", "?")),
    "consent_missing": lambda p: _("Please give all three consents."),
    "key_reused": lambda p: _(
        "This public key was already used for another certificate. Please create a new "
        "key pair."),
    "bad_subject": lambda p: _("Your name cannot be put into a certificate: %(detail)s",
                               detail=p.get("detail", "")),
    "csr_missing": lambda p: _("Please upload a CSR file or paste the CSR."),
    "csr_too_large": lambda p: _("The CSR is too large (at most %(max)s bytes).",
                                 max=p.get("max_bytes")),
    "csr_not_a_csr": lambda p: _(
        "This is not a certificate signing request (CSR). Upload a PEM or DER file made, "
        "for example, with 'openssl req -new'."),
    "csr_bad_signature": lambda p: _(
        "The CSR's signature is not valid: it was changed or not signed with its own key."),
    "csr_key_type_not_allowed": lambda p: _(
        "Key type %(type)s is not allowed. Allowed: %(allowed)s.",
        type=p.get("key_type", "?"), allowed=_allowed(p)),
    "csr_key_size_not_allowed": lambda p: _(
        "A key of %(bits)s bits is not allowed. Allowed: %(allowed)s.",
        bits=p.get("bits", "?"), allowed=_allowed(p)),
    "csr_bad_exponent": lambda p: _(
        "The RSA public exponent must be 65537 (the CSR has %(exponent)s).",
        exponent=p.get("exponent", "?")),
    "csr_weak_key": lambda p: _(
        "The key is known to be weak (check: %(check)s). Please create a new key pair.",
        check=p.get("check", "?")),
    "wrong_state": lambda p: _("This action is no longer possible: the status has changed."),
    "forbidden": lambda p: _("You are not allowed to do this."),
    "condition": lambda p: _(
        "This action is not possible now. For this address there may be an open request or "
        "a certificate that is still valid."),
}


def message_for(code: str, params: dict | None = None) -> str:
    builder = MESSAGES.get(code)
    return builder(params or {}) if builder else _("The action failed (%(code)s).", code=code)


def reason_labels() -> dict[str, str]:
    """Revocation reasons as the user reads them (SBR §4.9.1.1 list)."""
    return {
        "unspecified": _("No reason given"),
        "keyCompromise": _("My private key was lost or compromised (keyCompromise)"),
        "affiliationChanged": _("My affiliation changed (affiliationChanged)"),
        "superseded": _("The certificate has been replaced by a new one (superseded)"),
        "cessationOfOperation": _("I no longer use this address (cessationOfOperation)"),
    }
