"""The OpenAPI 3.1 document and its viewer (Swagger UI, served from our own static files
under the app's CSP: no inline script, no CDN, each file with its SRI hash)."""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from pathlib import Path

from flask import Blueprint, current_app, jsonify, render_template

from ra_console.web.access import public

bp = Blueprint("api_docs", __name__, url_prefix="/api/v1")
VIEWER_FILES = ("vendor/swagger-ui/swagger-ui.css", "vendor/swagger-ui/swagger-ui-bundle.js",
                "js/api-docs.js")


@cache
def integrity(static: str, name: str) -> str:
    digest = hashlib.sha384((Path(static) / name).read_bytes()).digest()
    return "sha384-" + base64.b64encode(digest).decode("ascii")


@bp.route("/openapi.json")
@public
def openapi_json():
    return jsonify(current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
                   .spec.to_dict())


@bp.route("/docs")
@public
def viewer():
    static = current_app.static_folder
    return render_template("api/docs.html",
                           integrity={name: integrity(static, name) for name in VIEWER_FILES})
