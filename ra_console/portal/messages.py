"""User-facing texts for refused requests, in the user's language."""

from __future__ import annotations

from flask_babel import format_date, gettext as _

from ra_console.web.messages import request_file_texts
from ra_console.web.pages import form_expired

MIN_PASSWORD_LENGTH = 8


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


def key_algorithm_label(name: str) -> str:
    """A key algorithm as the request page offers it: the name and what choosing it means."""
    labels = {
        "RSA-4096": _("RSA-4096 – works with every mail program (choose this if unsure)"),
        "RSA-3072": _("RSA-3072 – works with every mail program, a little faster than RSA-4096"),
        "RSA-2048": _("RSA-2048 – works with every mail program, the smallest key allowed"),
        "EC-P256": _("EC P-256 – small and fast, but not every mail program can use it"),
        "EC-P384": _("EC P-384 – like P-256 with a larger safety margin; same limits"),
        "EC-P521": _("EC P-521 – like P-256 with the largest safety margin; same limits"),
    }
    return labels.get(name, name)


def browser_texts() -> dict[str, str]:
    """What the browser code (static/js) may show, in the user's language.

    Rendered into data- attributes of #js-texts; the JavaScript has no texts of its own.
    `{name}` marks a value the browser fills in.
    """
    return {
        # request page
        "no_javascript": _("Generating the key in the browser needs JavaScript. Without it, "
                           "upload a certificate request (CSR) below."),
        "no_webcrypto": _(
            "This browser cannot generate keys here: key generation needs a secure "
            "connection (https) and a current browser. Open the portal through https, or "
            "create a key and CSR yourself and upload the CSR below."),
        "password_short": _("The password must have at least %(min)s characters.",
                            min=MIN_PASSWORD_LENGTH),
        "password_mismatch": _("The two passwords are not the same."),
        "strength_weak": _("Password strength: weak. Use a longer password."),
        "strength_fair": _("Password strength: fair."),
        "strength_strong": _("Password strength: strong."),
        "generating": _("Generating the key pair (%(algorithm)s) in your browser …",
                        algorithm="{algorithm}"),
        "encrypting": _("Encrypting the private key with your password …"),
        "uploading": _("Uploading the certificate request (only the public key) …"),
        "request_saved": _(
            "Done. The request file %(name)s was saved (look in your downloads folder). "
            "Keep it and its password: without them you cannot use your certificate.",
            name="{name}"),
        "failed": _("Something went wrong: %(detail)s. Nothing was saved; please try again.",
                    detail="{detail}"),
        "form_expired": form_expired(),
        # PKCS#12 page
        **request_file_texts(),
        "p12_password_missing": _("Please set a password for the PKCS#12 file."),
        "building": _("Building the PKCS#12 file …"),
        "p12_saved": _("The PKCS#12 file %(name)s was created and saved. Import it into your "
                       "mail program with its password.", name="{name}"),
        "key_mismatch": _("This request file belongs to another request: its key does not "
                          "match this certificate. Choose the file saved for this request."),
        "not_a_certificate": _("The certificate could not be loaded. Please reload the page."),
    }
