"""The REST API at /api/v1/ (flask-smorest: marshmallow schemas, OpenAPI 3.1 from the code).

Only bearer tokens count here (auth.py); errors are problem details (problems.py)."""

from __future__ import annotations

import http

from flask import Flask
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from ra_console.api import audit, certificates, docs, mailboxes
from ra_console.api.problems import CONTENT_TYPE, ProblemSchema

BLUEPRINTS = (mailboxes.bp, certificates.bp, audit.bp)


class ProblemApi(Api):
    """flask-smorest for our blueprints only: its app-wide JSON error handler would take
    over the portal's HTML error pages, and its error responses are problem+json here."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        """Our blueprints carry their own handlers (problems.attach)."""

    def _register_responses(self):
        """As flask-smorest does (one component per error status, referenced by e.g.
        `arguments`), with the problem+json media type."""
        names = [s.name for s in http.HTTPStatus if s >= 400]
        for name in [*names, self.DEFAULT_ERROR_RESPONSE_NAME]:
            response = {"description": "Problem details (RFC 9457)",
                        "schema": self.ERROR_SCHEMA}
            prepare_response(response, self.spec, CONTENT_TYPE)
            self.spec.components.response(name, response, lazy=True)


def init_api(app: Flask, csrf) -> None:
    app.config.update(
        API_TITLE="RA Console API", API_VERSION="v1", OPENAPI_VERSION="3.1.0",
        API_SPEC_OPTIONS={
            "info": {"description": "See docs/api.md."},
            "security": [{"bearerAuth": []}],
            "components": {"securitySchemes": {"bearerAuth": {
                "type": "http", "scheme": "bearer",
                "description": "An API token from the portal's page 'API tokens'."}}},
        })
    api = ProblemApi(app)
    for blueprint in BLUEPRINTS:
        csrf.exempt(blueprint)  # bearer tokens only, never cookies: nothing to forge
        api.register_blueprint(blueprint)
    app.register_blueprint(docs.bp)
