"""Public PKI files of the local CA: /pki/<ca>.crt (DER), /pki/<ca>.crl (DER), and its
OCSP responder at /pki/ocsp (POST, RFC 6960) and /pki/ocsp/<base64 request> (GET)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import unquote

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from flask import Blueprint, abort, current_app, render_template, request
from sqlmodel import select
from werkzeug.exceptions import HTTPException

from ra_console.core.db import get_session
from ra_console.models import Certificate
from ra_console.pki import issuance_log, ocsp
from ra_console.web.access import public

bp = Blueprint("pki", __name__, url_prefix="/pki")
MAX_OCSP_REQUEST = 4096


def _files() -> tuple[Path, dict[str, str]]:
    folder = Path(current_app.extensions["ra_runtime"].config["pki.local_ca_path"])
    try:
        meta = json.loads((folder / "ca.json").read_text())
    except (OSError, ValueError):
        abort(404)
    return folder, {meta["name"]: "issuing", meta["root_name"]: "root"}


@bp.route("/")
@public
def index():
    """What the CA publishes here, and the way to revoke without an account."""
    try:
        _folder, names = _files()
    except HTTPException:
        names = {}  # no local CA: the revocation link stays useful
    return render_template("public/pki_index.html", names=sorted(names))


@bp.route("/<name>.crt")
@public
def ca_certificate(name: str):
    folder, names = _files()
    if name not in names:
        abort(404)
    cert = x509.load_pem_x509_certificate((folder / f"{names[name]}.crt").read_bytes())
    return current_app.response_class(cert.public_bytes(Encoding.DER),
                                      mimetype="application/pkix-cert")


@bp.route("/<name>.crl")
@public
def crl(name: str):
    folder, names = _files()
    path = folder / f"{names.get(name, '-')}.crl"
    if name not in names or not path.exists():
        abort(404)
    return current_app.response_class(path.read_bytes(), mimetype="application/pkix-crl")


def _was_issued(serial: int) -> bool:
    """Did the local CA issue this serial? (Else the answer is "unknown".) The RA's
    certificates are found by index; the CA's issuance register also knows the rest (the
    RA's own mail signer, a certificate signed but lost before it reached the database)."""
    found = get_session().exec(select(Certificate.id).where(
        Certificate.serial == format(serial, "x"),
        Certificate.ca_name.is_(None) | (Certificate.ca_name == "local"))).first()
    return found is not None or serial in issuance_log.issued_serials(_files()[0])


def _ocsp_answer(der: bytes):
    folder, _ = _files()
    body = ocsp.respond(folder, der, current_app.extensions["ra_runtime"].now(), _was_issued)
    response = current_app.response_class(body, mimetype="application/ocsp-response")
    response.headers["Cache-Control"] = "max-age=3600, public, no-transform, must-revalidate"
    return response


@bp.route("/ocsp", methods=["POST"])
@public
def ocsp_post():
    if request.content_length and request.content_length > MAX_OCSP_REQUEST:
        abort(413)
    return _ocsp_answer(request.get_data()[:MAX_OCSP_REQUEST])


@bp.route("/ocsp/<path:encoded>", methods=["GET"])
@public
def ocsp_get(encoded: str):
    try:
        der = base64.b64decode(unquote(encoded), validate=True)
    except ValueError:
        der = b""
    return _ocsp_answer(der[:MAX_OCSP_REQUEST])


# OCSP clients post DER without a CSRF token: the responder changes nothing.
bp.record_once(lambda state: state.app.extensions["csrf"].exempt(ocsp_post))
