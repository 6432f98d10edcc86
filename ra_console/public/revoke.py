"""Revocation without an account, by proof of key possession: /pki/revoke.

The page shows a one-time challenge. The key holder either chooses their request file
(.json; decrypted and used to sign only in the browser, static/js/revoke-page.js) or uploads
the certificate and a signature made with openssl. Under /pki/ the page stays reachable
from outside the organisation's networks (a person who has left, a finder of a leaked key);
POSTs are rate-limited (limits.revoke_by_key).
"""

from __future__ import annotations

import base64
import binascii

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _

from ra_console.core.db import get_session
from ra_console.pki.possession import new_challenge
from ra_console.usecases.certificates import RevocationError, revoke_by_key_possession
from ra_console.web.access import public
from ra_console.web.forms import Form
from ra_console.web.limits import spend
from ra_console.web.messages import REVOCATION_MESSAGES, request_file_texts
from ra_console.web.pages import form_expired

bp = Blueprint("revoke", __name__, url_prefix="/pki")


class PossessionForm(Form):
    """Only the CSRF token: the fields are read from request.form and request.files."""


def _upload(name: str) -> bytes:
    file = request.files.get(name)
    return file.read() if file else b""


def _signature() -> bytes:
    """The signature as uploaded (binary, as openssl writes it) or pasted as base64."""
    raw = _upload("signature_file")
    if raw:
        return raw
    text = "".join((request.form.get("signature") or "").split())
    if not text:
        raise RevocationError("signature_missing")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise RevocationError("bad_signature") from None


def _texts() -> dict[str, str]:
    return {**request_file_texts(),
            "signing": _("Signing the challenge with your private key …"),
            "p12_choose": _("Please choose your .p12 file."),
            "p12_password_missing": _("Please enter the password of the .p12 file."),
            "p12_wrong_password": _("Wrong password for the .p12 file."),
            "p12_damaged": _("This is not a .p12 file, or it is damaged."),
            "p12_no_key": _("This .p12 file holds no private key."),
            "p12_unsupported": _(
                "The private key in this .p12 file is encrypted with a method this page does "
                "not read (such as RC2 from old exports). Use the openssl way below."),
            "failed": _("Something went wrong: %(detail)s.", detail="{detail}")}


@bp.route("/revoke", methods=["GET", "POST"])
@public
def by_key():
    runtime = current_app.extensions["ra_runtime"]
    form, error, revoked, status = PossessionForm(), None, None, 200
    if request.method == "POST":
        if not form.validate_on_submit():
            error, status = form_expired(), 400
        else:
            spend("revoke_by_key")  # each attempt counts, whatever its outcome
            db = get_session()
            try:
                revoked = revoke_by_key_possession(
                    db, runtime, challenge=request.form.get("challenge", ""),
                    signature=_signature(), certificate_pem=_upload("certificate_file")
                    or request.form.get("certificate", "").encode() or None,
                    spki_hex=request.form.get("spki_sha256"), ip=request.remote_addr)
                db.commit()
            except RevocationError as exc:
                db.rollback()
                error, status = REVOCATION_MESSAGES[exc.code](exc.params), 400
    challenge = new_challenge(runtime.config["secret_key"], runtime.now())
    return render_template("public/revoke.html", form=form, challenge=challenge, error=error,
                           revoked=revoked, texts=_texts()), status
