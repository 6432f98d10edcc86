"""/api/v1/certificates: requests and certificates (a person's own, an institute's for its
network contacts, every one for RA admins and auditors); revocation, approval, download,
and new requests for a mailbox (a mail gateway for its functional mailbox)."""

from __future__ import annotations

from flask import Response
from flask_babel import gettext as _
from flask_smorest import Blueprint
from sqlalchemy.orm import load_only
from sqlmodel import select

from ra_console.api.auth import api_actor, token_required
from ra_console.api.links import CERTIFICATE_OPERATIONS, follow
from ra_console.api.pagination import paginate
from ra_console.api.problems import attach, refuse
from ra_console.api.schemas import (
    CertificateOut,
    CertificatePage,
    CertificateQuery,
    RequestIn,
    RevokeIn,
    certificate_out,
)
from ra_console.api.scope import visible_certificates
from ra_console.core.db import get_session
from ra_console.models import Certificate, Mailbox, Person
from ra_console.queries.certificates import bundle
from ra_console.usecases.certificates import revoke
from ra_console.usecases.requests import create_request
from ra_console.usecases.transitions import perform

bp = Blueprint("api_certificates", __name__, url_prefix="/api/v1/certificates",
               description="Certificate requests and certificates")
attach(bp)
READERS = ("user", "network_contact", "ra_admin", "auditor")
# What a list item shows (certificate_out): not the PEM texts and findings, kilobytes a row
LISTED = load_only(Certificate.public_id, Certificate.mailbox_id, Certificate.status,
                   Certificate.profile, Certificate.addresses, Certificate.subject,
                   Certificate.serial, Certificate.not_before, Certificate.not_after,
                   Certificate.revoked_at, Certificate.revocation_reason,
                   Certificate.created_at)


def _out(row: Certificate) -> dict:
    mailbox = get_session().get(Mailbox, row.mailbox_id)
    return certificate_out(row, mailbox.public_id)


def _out_all(rows: list[Certificate]) -> list[dict]:
    """A page's rows with their mailboxes' public ids, in one query (not one per row)."""
    ids = {row.mailbox_id for row in rows}
    public_ids = dict(get_session().exec(select(Mailbox.id, Mailbox.public_id)
                                         .where(Mailbox.id.in_(sorted(ids)))).all())
    return [certificate_out(row, public_ids[row.mailbox_id]) for row in rows]


def visible_certificate(public_id: str) -> Certificate:
    row = get_session().exec(visible_certificates(select(Certificate), api_actor())
                             .where(Certificate.public_id == str(public_id))).first()
    if row is None:
        refuse(404, "certificate_unknown", _("There is no such certificate for you."))
    return row


@bp.route("")
@token_required(*READERS)
@bp.arguments(CertificateQuery, location="query")
@bp.response(200, CertificatePage)
@bp.doc(operationId="listCertificates")
def list_certificates(args):
    """List the requests and certificates you may see, newest first."""
    session = get_session()
    query = visible_certificates(select(Certificate).options(LISTED), api_actor())
    if args.get("status"):
        query = query.where(Certificate.status == args["status"])
    if args.get("mailbox"):
        query = query.where(Certificate.mailbox_id.in_(
            select(Mailbox.id).where(Mailbox.public_id == args["mailbox"])))
    page = paginate(session, query, Certificate.id, args)
    return {**page, "items": _out_all(page["items"])}


@bp.route("", methods=["POST"])
@token_required("user")
@bp.arguments(RequestIn)
@bp.response(201, CertificateOut)
@bp.doc(operationId="requestCertificate",
        responses=follow(201, *CERTIFICATE_OPERATIONS, mailbox=True))
def request_certificate(data):
    """Request a certificate for one of your mailboxes (a functional mailbox you are the
    applicant of) with a CSR, and send it: the same checks and workflow as the portal.
    Poll GET /certificates/{id} until it is `issued`, then fetch /chain."""
    session, actor = get_session(), api_actor()
    runtime = session.info["runtime"]
    person = session.get(Person, actor.person_id)
    cert = create_request(session, runtime, actor, person, mailbox_public_id=data["mailbox"],
                          aliases=[a.strip().lower() for a in data["aliases"]],
                          csr=data["csr"], consents={c: True for c in data["consents"]},
                          origin="upload")
    perform(session, cert, "submit", actor)
    session.commit()
    return _out(cert)


@bp.route("/<uuid:public_id>")
@token_required(*READERS)
@bp.response(200, CertificateOut)
@bp.doc(operationId="getCertificate",
        responses=follow(200, *CERTIFICATE_OPERATIONS[1:], mailbox=True))
def get_certificate(public_id):
    """One request or certificate."""
    return _out(visible_certificate(public_id))


@bp.route("/<uuid:public_id>/chain")
@token_required(*READERS)
@bp.response(200, {"type": "string"}, content_type="application/pem-certificate-chain")
@bp.doc(operationId="getCertificateChain")
def chain(public_id):
    """The issued certificate and its chain in PEM (RFC 8555 §9.1)."""
    row = visible_certificate(public_id)
    if not row.cert_pem:
        refuse(409, "not_issued", _("This certificate is not issued (yet)."))
    data, _mimetype, _suffix = bundle(row, "pem")
    return Response(data, mimetype="application/pem-certificate-chain")


@bp.route("/<uuid:public_id>/revoke", methods=["POST"])
@token_required("user", "network_contact", "ra_admin")
@bp.arguments(RevokeIn)
@bp.response(200, CertificateOut)
@bp.doc(operationId="revokeCertificate")
def revoke_certificate(data, public_id):
    """Revoke with a reason code (RFC 5280); the CA is told by the job runner."""
    session, row = get_session(), visible_certificate(public_id)
    revoke(session, row, api_actor(), data["reason"], session.info["runtime"].now())
    session.commit()
    return _out(row)


@bp.route("/<uuid:public_id>/approve", methods=["POST"])
@token_required("ra_admin")
@bp.response(200, CertificateOut)
@bp.doc(operationId="approveCertificate")
def approve(public_id):
    """Approve a request that waits for approval (not your own)."""
    session, row = get_session(), visible_certificate(public_id)
    perform(session, row, "approve", api_actor())
    session.commit()
    return _out(row)
