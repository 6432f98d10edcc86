"""Public PKI files of the local CA: /pki/<ca>.crt (DER) and /pki/<ca>.crl (DER)."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from flask import Blueprint, abort, current_app

from .auth.access import public

bp = Blueprint("pki", __name__, url_prefix="/pki")


def _files() -> tuple[Path, dict[str, str]]:
    folder = Path(current_app.extensions["ra_runtime"].config["pki.local_ca_path"])
    try:
        meta = json.loads((folder / "ca.json").read_text())
    except (OSError, ValueError):
        abort(404)
    return folder, {meta["name"]: "issuing", meta["root_name"]: "root"}


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
