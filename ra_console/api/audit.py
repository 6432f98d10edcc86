"""/api/v1/audit-events (auditors, RA admins) and /api/v1/me (every token)."""

from __future__ import annotations

from flask_smorest import Blueprint
from sqlmodel import select

from ra_console.api.auth import api_actor, token_required
from ra_console.api.pagination import paginate
from ra_console.api.problems import attach
from ra_console.api.schemas import AuditEventPage, AuditQuery, MeOut, event_out
from ra_console.core.db import get_session
from ra_console.models import AuditEvent
from ra_console.usecases.api_tokens import SCOPES

bp = Blueprint("api_audit", __name__, url_prefix="/api/v1",
               description="The audit log and the caller")
attach(bp)


@bp.route("/audit-events")
@token_required("auditor", "ra_admin")
@bp.arguments(AuditQuery, location="query")
@bp.response(200, AuditEventPage)
@bp.doc(operationId="listAuditEvents")
def list_events(args):
    """Audit events, newest first; `entity_id` narrows to one row."""
    session = get_session()
    query = select(AuditEvent)
    if args.get("entity_id"):
        query = query.where(AuditEvent.entity_id == args["entity_id"])
    page = paginate(session, query, AuditEvent.id, args)
    return {**page, "items": [event_out(row) for row in page["items"]]}


@bp.route("/me")
@token_required(*SCOPES)
@bp.response(200, MeOut)
@bp.doc(operationId="getMe")
def me():
    """Who the token acts as, and in which roles."""
    actor = api_actor()
    return {"username": actor.username, "roles": sorted(actor.roles),
            "institutes": sorted(actor.institutes())}
