"""Errors as RFC 9457 problem details (application/problem+json), in the reader's language.

Every API blueprint gets the same handlers (`attach`), so no view builds an error itself."""

from __future__ import annotations

import logging
from typing import Any, NoReturn

from flask import Response, json, request
from flask_babel import gettext as _
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

from ra_console.core.db import rollback_request_session
from ra_console.usecases.addresses import AddressError
from ra_console.usecases.api_tokens import TokenError
from ra_console.usecases.certificates import RevocationError
from ra_console.usecases.requests import RequestError
from ra_console.web.messages import address_message, revocation_message, token_message
from ra_console.web.request_messages import message_for
from ra_console.workflow.state import WorkflowError

CONTENT_TYPE = "application/problem+json"
log = logging.getLogger(__name__)


class ProblemSchema(Schema):
    type = fields.String(metadata={"description": "always about:blank; see `code`"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    code = fields.String(metadata={"description": "stable, machine-readable reason"})
    invalid_params = fields.List(fields.Dict(), data_key="invalid-params")


class Problem(Exception):
    def __init__(self, status: int, code: str, detail: str, **extra: Any):
        super().__init__(code)
        self.status, self.code, self.detail, self.extra = status, code, detail, extra


def refuse(status: int, code: str, detail: str, **extra: Any) -> NoReturn:
    raise Problem(status, code, detail, **extra)


def _titles() -> dict[int, str]:
    return {400: _("Bad request"), 401: _("Authentication required"), 403: _("Not allowed"),
            404: _("Not found"), 405: _("Method not allowed"), 409: _("Conflict"),
            413: _("Too large"), 415: _("Unsupported media type"), 422: _("Invalid input"),
            429: _("Too many requests"), 500: _("Internal error")}


def problem_response(status: int, code: str, detail: str, headers: dict | None = None,
                     **extra: Any) -> Response:
    body = {"type": "about:blank", "title": _titles().get(status, _("Error")),
            "status": status, "detail": detail, "code": code, **extra}
    return Response(json.dumps(body), status=status, mimetype=CONTENT_TYPE,
                    headers=headers or {})


# marshmallow's English messages, said again in the reader's language
def _reason(message: str) -> str:
    known = {"Missing data for required field.": _("This field is required."),
             "Field may not be null.": _("This field must have a value."),
             "Unknown field.": _("This field is not known.")}
    return known.get(message) or _("This value is not valid.")


def _invalid_params(messages: dict, prefix: str = "") -> list[dict]:
    found = []
    for name, value in messages.items():
        path = f"{prefix}.{name}" if prefix else str(name)
        if isinstance(value, dict):
            found += _invalid_params(value, path)
        else:
            items = value if isinstance(value, list) else [value]
            found.append({"name": path, "reason": _reason(str(items[0]) if items else "")})
    return found


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    if status >= 500:
        rollback_request_session()
    data = getattr(error, "data", None) or {}
    headers = dict(data.get("headers") or {})
    if status == 422 and "messages" in data:  # webargs: the body or a parameter is wrong
        invalid = [p for where in data["messages"].values()
                   for p in _invalid_params(where if isinstance(where, dict) else {})]
        return problem_response(422, "invalid_input",
                                _("Some values are missing or not valid."), headers,
                                **{"invalid-params": invalid})
    return problem_response(status, f"http_{status}", _titles().get(status, _("Error")),
                            headers)


def _domain_error(error: Exception) -> Response:
    rollback_request_session()  # nothing of a refused change stays
    code, params = getattr(error, "code", ""), getattr(error, "params", {})
    if isinstance(error, (AddressError, WorkflowError)):
        return problem_response(409 if isinstance(error, WorkflowError) else 422, code,
                                address_message(code, params))
    if isinstance(error, RevocationError):
        return problem_response(409, code, revocation_message(code, params))
    if isinstance(error, TokenError):
        return problem_response(422, code, token_message(code, params))
    return problem_response(422, code, message_for(code, params))


def _unexpected(error: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.path)
    rollback_request_session()
    return problem_response(500, "internal_error", _(
        "Something went wrong on our side. Nothing was changed; please try again later."))


def _problem(error: Problem) -> Response:
    rollback_request_session()
    return problem_response(error.status, error.code, error.detail, **error.extra)


def attach(blueprint) -> None:
    blueprint.register_error_handler(Problem, _problem)
    blueprint.register_error_handler(HTTPException, _http_error)
    # by code too: the app's HTML pages are registered by code, which Flask prefers to a
    # blueprint's handler by class (500 covers any uncaught exception: no trace leaks)
    for code in (400, 401, 403, 404, 405, 413, 415, 422, 429, 500):
        blueprint.register_error_handler(code, _http_error)
    blueprint.register_error_handler(Exception, _unexpected)  # the app's would be HTML
    for kind in (AddressError, WorkflowError, RevocationError, TokenError, RequestError):
        blueprint.register_error_handler(kind, _domain_error)
