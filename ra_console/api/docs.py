"""The OpenAPI 3.1 document and its viewer (Swagger UI, served from our own static files
under the app's CSP: no inline script, no CDN)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template

from ra_console.web.access import public

bp = Blueprint("api_docs", __name__, url_prefix="/api/v1")


@bp.route("/openapi.json")
@public
def openapi_json():
    return jsonify(current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
                   .spec.to_dict())


@bp.route("/docs")
@public
def viewer():
    return render_template("api/docs.html")
