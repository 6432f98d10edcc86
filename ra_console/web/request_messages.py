"""Texts for refused certificate requests (the portal and the API), in the reader's language."""

from __future__ import annotations

from flask import url_for
from flask_babel import format_date, gettext as _

from ra_console.web.messages import request_file_texts
from ra_console.web.pages import form_expired

MIN_PASSWORD_LENGTH = 8


def _allowed(params: dict) -> str:
    allowed = params.get("allowed") or ()
    return ", ".join(str(a) for a in allowed)


def _minute(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "?"


def _day(moment) -> str:
    return format_date(moment) if moment else "?"


def _consents(params: dict) -> str:
    names = {"name_and_mailbox": _("name and mailbox access"),
             "data_processing": _("data processing"),
             "directory_publication": _("publication in the directory")}
    return ", ".join(names.get(n, n) for n in params.get("consents") or names)


def _not_a_csr(params: dict) -> str:
    kind = params.get("kind")
    described = FILE_KINDS.get(kind)
    if described is None:
        return _("This is not a certificate signing request (CSR). Upload a PEM or DER file "
                 "made, for example, with 'openssl req -new'.")
    return described()


# What a wrong file is, said before any rule about CSRs (pki/filekind.py names the kinds).
FILE_KINDS = {
    "image": lambda: _("This file is an image, not a certificate request (CSR). Upload the "
                       ".csr file made with your key, e.g. with 'openssl req -new'."),
    "pdf": lambda: _("This file is a PDF document, not a certificate request (CSR)."),
    "archive": lambda: _("This file is an archive or office document, not a certificate "
                         "request (CSR)."),
    "certificate": lambda: _("This file is a certificate, not a certificate request (CSR). "
                             "Upload the request made with your key ('openssl req -new')."),
    "crl": lambda: _("This file is a certificate revocation list, not a certificate "
                     "request (CSR)."),
    "pkcs7": lambda: _("This file is a PKCS#7 certificate bundle, not a certificate request "
                       "(CSR)."),
    "pkcs12": lambda: _("This file is a PKCS#12 file (.p12/.pfx) with a private key. Never "
                        "upload it: upload a certificate request (CSR) instead."),
    "private_key": lambda: _("This file is a private key. Never upload a private key: keep it "
                             "secret and upload the certificate request (CSR) made with it."),
    "public_key": lambda: _("This file is a bare public key. Upload a certificate request "
                            "(CSR): it also proves that you hold the private key."),
    "request_file": lambda: _(
        "This is a request file (.json) of this portal: it holds an encrypted private key, "
        "not a certificate request. For a new key, use 'Generate the key in the browser'."),
    "json": lambda: _("This file is a JSON document, not a certificate request (CSR)."),
    "text": lambda: _("This file contains text but no certificate request (no '-----BEGIN "
                      "CERTIFICATE REQUEST-----' block)."),
    "binary": lambda: _("This file is not a certificate request (CSR): its content is "
                        "neither PEM nor DER."),
}


MESSAGES = {
    "identity_check_needed": lambda p: _(
        "You have no employee or student status. Before you can request a certificate, "
        "your identity must be verified in person."),
    "unknown_address": lambda p: _("Please choose one of your confirmed e-mail addresses."),
    "mailbox_missing": lambda p: _("Please choose the e-mail address for the certificate."),
    "no_address": lambda p: _(
        "You have no confirmed e-mail address yet. Your institute's network contact adds "
        "institute addresses."),
    "pending_challenge": lambda p: _(
        "%(address)s is not confirmed yet: follow the link in the challenge e-mail sent to "
        "it, then request the certificate.", address=p.get("address", "")),
    "foreign_alias": lambda p: _(
        "%(alias)s is not an alias of %(address)s. Only the aliases listed under the chosen "
        "address can go into its certificate.", alias=p.get("alias", ""),
        address=p.get("address", "")),
    "unsent_request": lambda p: _(
        "You already have an open request for %(address)s from %(date)s: send or delete it "
        "before you make a new one.", address=p.get("address", ""), date=_minute(p.get("since"))),
    "open_request": lambda p: _(
        "Your request for %(address)s from %(date)s is being processed; a new one can be made "
        "once it is issued or rejected.", address=p.get("address", ""),
        date=_minute(p.get("since"))),
    "valid_certificate": lambda p: _(
        "This address has a certificate valid until %(date)s. A new one can be requested "
        "once it is revoked, expired or valid for less than %(days)s days.",
        date=_day(p.get("valid_until")), days=p.get("days", "?")),
    "consent_missing": lambda p: _("Please give all three consents (missing: %(missing)s).",
                                   missing=_consents(p)),
    "key_reused": lambda p: _(
        "This public key was already used for another certificate. Please create a new "
        "key pair."),
    "bad_subject": lambda p: _("Your name cannot be put into a certificate: %(detail)s",
                               detail=p.get("detail", "")),
    "csr_missing": lambda p: _("Please upload a CSR file or paste the CSR."),
    "csr_too_large": lambda p: _("The CSR is too large (at most %(max)s bytes).",
                                 max=p.get("max_bytes")),
    "csr_not_a_csr": _not_a_csr,
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
    "address_inactive": lambda p: _(
        "%(address)s is no longer confirmed for you, so this request cannot be sent. Ask "
        "your institute's network contact.", address=p.get("address", "")),
    "already_sent": lambda p: _("This request was already sent; its status is: %(status)s.",
                                status=p.get("status", "")),
    "not_deletable": lambda p: _("Only requests that were not sent yet can be deleted; its "
                                 "status is: %(status)s.", status=p.get("status", "")),
}


def next_step(code: str, params: dict | None = None) -> tuple[str, str] | None:
    """(url, label) of the page where a refusal's cause is dealt with, if there is one."""
    params = params or {}
    if code == "identity_check_needed":
        return url_for("identity.identity"), _("Start the identity verification")
    if code in ("unsent_request", "open_request") and params.get("certificate"):
        return (url_for("portal.show", public_id=params["certificate"]),
                _("Open the request from %(date)s", date=_minute(params.get("since"))))
    if code == "valid_certificate" and params.get("certificate"):
        return (url_for("portal.show", public_id=params["certificate"]),
                _("Open the certificate (you can revoke it there)"))
    if code in ("pending_challenge", "no_address"):
        return url_for("portal.certificates"), _("Back to my client certificates")
    return None


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
        # key ring: older request files on the PKCS#12 page
        "key_fingerprint": _("key fingerprint %(fingerprint)s", fingerprint="{fingerprint}"),
        "password_for": _("Password of %(name)s", name="{name}"),
        "remove_file": _("Remove %(name)s", name="{name}"),
        "decrypting_file": _("Decrypting the private key of %(name)s …", name="{name}"),
        "in_file": _("Request file %(name)s: %(detail)s Nothing was built; your files and "
                     "the passwords you entered stay as they are.",
                     name="{name}", detail="{detail}"),
        "no_certificate": _(
            "Request file %(name)s (key fingerprint %(fingerprint)s): none of your "
            "certificates has this key. Remove the file from the list or choose the right one; "
            "nothing was built.", name="{name}", fingerprint="{fingerprint}"),
        "ring_saved": _("The PKCS#12 file %(name)s with %(count)s keys was created and saved. "
                        "Import it into your mail program with its password: it reads e-mail "
                        "encrypted to each of these certificates.",
                        name="{name}", count="{count}"),
    }
