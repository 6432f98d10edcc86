"""/scim/v2/…: scim2-server's protocol handler behind the RA's bearer-token check, one
database transaction per request. Session cookies do not count here (no CSRF surface);
only a SCIM client's token does."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, json, request
from flask_babel import gettext as _
from scim2_models import SCIMException, UnauthorizedException
from scim2_server.handler import ScimHandler
from scim2_server.requests import ScimRequest
from scim2_server.routing import Operation
from scim2_server.service import ScimService

from ra_console.core.db import get_session, rollback_request_session
from ra_console.scim.schema import provider
from ra_console.scim.storage import PersonStorage
from ra_console.usecases.scim_clients import client_for_token

log = logging.getLogger(__name__)
bp = Blueprint("scim", __name__, url_prefix="/scim/v2")
service = ScimService(provider())


def scim_token(view):
    """Mark a view as reachable with a SCIM client's bearer token only (access sweep)."""
    view.access = "token:scim"
    return view


@bp.route("/", defaults={"path": ""}, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@bp.route("/<path:path>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@scim_token
def endpoint(path: str) -> Response:
    runtime = current_app.extensions["ra_runtime"]
    scim_request = ScimRequest(
        method=request.method, base_url=request.host_url.rstrip("/") + bp.url_prefix,
        path="/" + path.removesuffix(".scim"), query=request.args.to_dict(),
        headers=list(request.headers.items()), body=request.get_data())
    session = get_session()
    try:
        client = _authenticate(scim_request, session, runtime)
        storage = PersonStorage(session, actor=f"scim:{client.name}" if client else "scim",
                                config=runtime.config, now=runtime.now())
        answer = ScimHandler(service, storage).handle(scim_request)
        session.commit()
    except SCIMException as exc:
        rollback_request_session()
        answer = service.error_response(exc)
    except Exception as exc:  # a bug: logged with its traceback, answered in SCIM's form
        rollback_request_session()
        log.exception("SCIM %s %s failed", request.method, request.path)
        answer = service.error_response(exc)
    body = json.dumps(answer.body) if answer.body is not None else ""
    headers = dict(answer.headers)
    if answer.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="scim"'
    return Response(body, status=int(answer.status), headers=headers)


def _authenticate(scim_request: ScimRequest, session, runtime):
    """The client of the request's token; the service provider configuration is public
    (RFC 7643 §5), everything else needs a valid token."""
    try:
        public = service.match(scim_request).operation is Operation.service_provider_config
    except SCIMException:  # an unknown path or method: the client must still be known
        public = False
    if public:
        return None
    scheme, _sep, token = (request.headers.get("Authorization") or "").partition(" ")
    client = client_for_token(session, token.strip(), runtime.now()) \
        if scheme.lower() == "bearer" else None
    if client is None:
        raise UnauthorizedException(detail=_("A valid SCIM bearer token is required."))
    return client
