"""/api/v1/mailboxes: institute address rows (network contacts in their institutes, RA
admins everywhere, auditors read), and the own or applied-for mailboxes of a person."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_smorest import Blueprint
from sqlalchemy import false, or_, union
from sqlmodel import select

from ra_console.api.auth import api_actor, token_required
from ra_console.api.links import MAILBOX_OPERATIONS, follow
from ra_console.api.pagination import paginate
from ra_console.api.problems import attach, refuse
from ra_console.api.schemas import (
    AliasesIn,
    MailboxIn,
    MailboxOut,
    MailboxPage,
    MailboxQuery,
    mailbox_out,
)
from ra_console.api.scope import visible_mailboxes
from ra_console.core.db import get_session
from ra_console.models import Institute, Mailbox, MailboxAddress, Person
from ra_console.usecases.addresses import (
    MailboxInput,
    add_mailbox,
    approve_display_name,
    set_aliases,
)
from ra_console.usecases.transitions import perform
from ra_console.web.limits import limited_transition

bp = Blueprint("api_mailboxes", __name__, url_prefix="/api/v1/mailboxes",
               description="Address rows: personal and functional mailboxes")
attach(bp)
READERS = ("user", "network_contact", "ra_admin", "auditor")
WRITERS = ("network_contact", "ra_admin")


def _max_aliases() -> int:
    return get_session().info["runtime"].config["addresses.max_aliases"]


def visible_mailbox(public_id: str) -> Mailbox:
    """The row if the caller may see it; 404 otherwise (also for another institute's)."""
    session = get_session()
    row = session.exec(visible_mailboxes(select(Mailbox), api_actor())
                       .where(Mailbox.public_id == str(public_id))).first()
    if row is None:
        refuse(404, "mailbox_unknown", _("There is no such mailbox for you."))
    return row


def _writable(public_id: str) -> Mailbox:
    row = visible_mailbox(public_id)
    actor = api_actor()
    if not (actor.has_role("ra_admin") or row.institute_id in actor.institutes()):
        refuse(404, "mailbox_unknown", _("There is no such mailbox for you."))
    return row


@bp.route("")
@token_required(*READERS)
@bp.arguments(MailboxQuery, location="query")
@bp.response(200, MailboxPage)
@bp.doc(operationId="listMailboxes")
def list_mailboxes(args):
    """List the mailboxes you may see, newest first; `q` finds a part of an address or
    a user name."""
    session = get_session()
    query = visible_mailboxes(select(Mailbox), api_actor())
    if args.get("status"):
        query = query.where(Mailbox.status == args["status"])
    if args.get("q"):
        query = query.where(_matching(session, args["q"]))
    page = paginate(session, query, Mailbox.id, args)
    return {**page, "items": [mailbox_out(row) for row in page["items"]]}


# Up to this many matching mailboxes are looked up first and passed on as values.
MATCHES_MAX = 2000


def _matching(session, q: str):
    """Mailboxes with `q` in an address (trigram index) or with the user name `q`.

    The ids are looked up first, in one statement: as subqueries inside an OR, PostgreSQL
    walked the mailbox primary key backwards through every row testing both (131 ms p95
    at 300 000 mailboxes for a term matching one mailbox); as values it reads the few rows
    by key. A term matching more than MATCHES_MAX mailboxes keeps the subqueries: there
    the backward walk finds a page of matches at once (and a list of ids would be long)."""
    addresses = (select(MailboxAddress.mailbox_id)
                 .where(MailboxAddress.address.like(f"%{q.lower()}%")))
    # user names exactly (a substring scan of every name measured 250 ms)
    owned = (select(Mailbox.id).join(Person, Person.id == Mailbox.owner_id)
             .where(Person.username == q))
    ids = session.execute(union(addresses, owned).limit(MATCHES_MAX + 1)).scalars().all()
    if len(ids) <= MATCHES_MAX:
        return Mailbox.id.in_(sorted(ids)) if ids else false()
    return or_(Mailbox.id.in_(addresses), Mailbox.id.in_(owned))


@bp.route("", methods=["POST"])
@token_required(*WRITERS)
@bp.arguments(MailboxIn)
@bp.response(201, MailboxOut)
@bp.doc(operationId="createMailbox", responses=follow(201, *MAILBOX_OPERATIONS))
def create_mailbox(data):
    """Add a row (a personal or functional mailbox) in one of your institutes."""
    session, actor = get_session(), api_actor()
    institute = session.exec(select(Institute).where(Institute.code == data["institute"])
                             ).first()
    if institute is None or not (actor.has_role("ra_admin")
                                 or institute.id in actor.institutes()):
        refuse(422, "institute_unknown", _("Please choose one of your institutes."))
    row = add_mailbox(session, actor, institute, MailboxInput(
        primary=data["primary"], aliases=tuple(data["aliases"]), kind=data["kind"],
        username=data["username"], display_name=data["display_name"],
        applicant=data["applicant"], comment=data["comment"]), max_aliases=_max_aliases())
    session.commit()
    return mailbox_out(session.get(Mailbox, row.id))


@bp.route("/<uuid:public_id>")
@token_required(*READERS)
@bp.response(200, MailboxOut)
@bp.doc(operationId="getMailbox", responses=follow(200, *MAILBOX_OPERATIONS[1:]))
def get_mailbox(public_id):
    """One mailbox."""
    return mailbox_out(visible_mailbox(public_id))


@bp.route("/<uuid:public_id>/aliases", methods=["PUT"])
@token_required(*WRITERS)
@bp.arguments(AliasesIn)
@bp.response(200, MailboxOut)
@bp.doc(operationId="setMailboxAliases")
def put_aliases(data, public_id):
    """Replace the aliases; pending challenges die and the row must be confirmed again."""
    session, row = get_session(), _writable(public_id)
    set_aliases(session, api_actor(), session.get(Institute, row.institute_id), row,
                tuple(data["aliases"]), max_aliases=_max_aliases())
    session.commit()
    session.expire_all()
    return mailbox_out(session.get(Mailbox, row.id))


@bp.route("/<uuid:public_id>/deactivate", methods=["POST"])
@token_required(*WRITERS)
@bp.response(200, MailboxOut)
@bp.doc(operationId="deactivateMailbox")
def deactivate(public_id):
    """Deactivate the row; its person and network contacts are told which certificates
    carry its addresses."""
    session, row = get_session(), _writable(public_id)
    perform(session, row, "deactivate", api_actor())
    session.commit()
    return mailbox_out(row)


@bp.route("/<uuid:public_id>/challenge", methods=["POST"])
@token_required(*WRITERS)
@bp.response(200, MailboxOut)
@bp.doc(operationId="sendMailboxChallenge")
def challenge(public_id):
    """Send the challenge e-mails (a new row), or send them again (a pending one)."""
    session, row = get_session(), _writable(public_id)
    trigger = "resend" if row.status == "pending_challenge" else "send_challenge"
    with limited_transition(row, trigger):
        perform(session, row, trigger, api_actor())
        session.commit()
    return mailbox_out(row)


@bp.route("/<uuid:public_id>/approve-name", methods=["POST"])
@token_required("ra_admin")
@bp.response(200, MailboxOut)
@bp.doc(operationId="approveMailboxName")
def approve_name(public_id):
    """Approve a functional mailbox's display name (not your own mailbox's)."""
    session, row = get_session(), visible_mailbox(public_id)
    approve_display_name(session, api_actor(), row, session.info["runtime"].now())
    session.commit()
    return mailbox_out(row)
