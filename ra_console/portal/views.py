"""Meine Client-Zertifikate: list, request, view, send, delete, download, revoke."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import func
from sqlalchemy.orm import defer, lazyload
from sqlmodel import select
from wtforms import SelectChoice

from ra_console.adapters.settings import cached_issuance_pause
from ra_console.core.db import get_session
from ra_console.models import Certificate, Mailbox
from ra_console.pki.keyring import short_fingerprint, suggested_file_name
from ra_console.pki.keys import EC_CURVES
from ra_console.portal import scripts
from ra_console.portal.addresses import pending_addresses
from ra_console.portal.forms import ConfirmForm, RequestForm, RevokeForm
from ra_console.queries.addresses import network_contacts
from ra_console.queries.certificates import BUNDLES, bundle, history_of
from ra_console.queries.requests import address_choices, blocker_of, has_status
from ra_console.usecases import certificates as certs
from ra_console.usecases.requests import CONSENTS, RequestError, create_request
from ra_console.usecases.transitions import perform
from ra_console.web.access import login_required
from ra_console.web.current import current_actor, current_person
from ra_console.web.pages import form_expired, state_label
from ra_console.web.request_messages import (
    browser_texts,
    key_algorithm_label,
    message_for,
    next_step,
    reason_labels,
)
from ra_console.workflow.state import WorkflowError, available

bp = Blueprint("portal", __name__)
bp.record_once(lambda state: scripts.init_app(state.app))
ACTIVE = ("requested", "pending_approval", "sent", "issued")
USER_TRIGGERS = ("submit", "delete")


def _runtime():
    return current_app.extensions["ra_runtime"]


def _own_certificate(public_id: str) -> Certificate:
    """The signed-in person's request; anybody else's is a 404 (no hint that it exists)."""
    cert = get_session().exec(
        select(Certificate).where(Certificate.public_id == public_id)).first()
    if cert is None or cert.person_id != current_person().id or cert.status == "deleted":
        abort(404)
    return cert


@bp.route("/")
@login_required
def home():
    return redirect(url_for("portal.certificates"))


@bp.route("/certificates")
@login_required
def certificates():
    show_all = request.args.get("show") == "all"
    query = select(Certificate).where(Certificate.person_id == current_person().id,
                                      Certificate.status != "deleted")
    if not show_all:
        query = query.where(Certificate.status.in_(ACTIVE))
    # the PEM texts are not shown in the list: loaded only if something asks for them
    query = query.options(defer(Certificate.csr_pem), defer(Certificate.cert_pem),
                          defer(Certificate.chain_pem))
    rows = get_session().exec(query.order_by(Certificate.created_at.desc())).all()
    hidden = 0
    if not rows and not show_all:  # say what is true: none active, but maybe old ones
        hidden = get_session().exec(select(func.count(Certificate.id)).where(
            Certificate.person_id == current_person().id,
            Certificate.status.in_(("revoked", "expired", "rejected")))).one()
    pending = pending_addresses(get_session(), current_person().id, _runtime().now())
    return render_template("portal/certificates.html", rows=rows, show_all=show_all,
                           pending_addresses=pending, hidden=hidden,
                           request_file_of=request_file_of, short=short_fingerprint,
                           expiring=_expiring(rows),
                           has_status=has_status(current_person(), _runtime()))


def _expiring(rows) -> set[int]:
    """Issued certificates inside their profile's renewal window: time to remind that the
    old request file still opens the mail encrypted to them."""
    runtime = _runtime()
    now = runtime.now().replace(tzinfo=None)  # SQLite gives naive UTC, PostgreSQL aware
    soon = set()
    for row in rows:
        profile = runtime.profiles.get(row.profile)
        if row.status == "issued" and row.not_after and profile is not None and (
                row.not_after.replace(tzinfo=None) - now).days <= profile.renewal_window_days:
            soon.add(row.id)
    return soon


def _request_form(choices) -> RequestForm:
    form = RequestForm()
    form.mailbox.choices = [SelectChoice(c.mailbox.public_id, c.primary.display) for c in choices]
    return form


def _chosen_aliases(form: RequestForm) -> list[str]:
    """The ticked aliases of the chosen mailbox only: each mailbox's checkboxes carry its
    own name (aliases-<mailbox id>), so another mailbox's ticks never come along."""
    return request.form.getlist(f"aliases-{form.mailbox.data}") if form.mailbox.data else []


def _create(db, runtime, person, form, csr, origin: str) -> Certificate:
    """Create the request from the form (raises RequestError; the caller commits)."""
    consents = {name: getattr(form, f"consent_{name}").data for name in CONSENTS}
    if not csr or not str(csr).strip():
        raise RequestError("csr_missing")
    return create_request(db, runtime, current_actor(), person,
                          mailbox_public_id=form.mailbox.data or "",
                          aliases=_chosen_aliases(form), csr=csr, consents=consents,
                          origin=origin)


@bp.route("/certificates/new", methods=["GET", "POST"])
@login_required
def new_request():
    """The request page: key in the browser (JavaScript) or CSR upload (works without)."""
    runtime, db, person = _runtime(), get_session(), current_person()
    choices = address_choices(db, runtime, person, runtime.now())
    form = _request_form(choices)
    error, error_next = None, next_step("identity_check_needed") if not has_status(
        person, runtime) else None
    wanted = request.args.get("mailbox")  # renewal link of an expiry reminder
    if request.method == "GET" and any(c.requestable and c.mailbox.public_id == wanted
                                       for c in choices):
        form.mailbox.data = wanted
    if request.method == "POST" and form.validate_on_submit():
        csr = form.csr_file.data.read() if form.csr_file.data else (form.csr_text.data or "")
        try:
            cert = _create(db, runtime, person, form, csr, origin="upload")
        except RequestError as exc:
            db.rollback()
            error = message_for(exc.code, exc.params)
            error_next = next_step(exc.code, exc.params)
        else:
            db.commit()
            flash(_("Your certificate request was saved. Check it and send it to the CA."),
                  "success")
            return redirect(url_for("portal.show", public_id=cert.public_id))
    elif request.method == "POST":
        error = form_expired()
    algorithms = list(dict.fromkeys(a for c in choices for a in c.profile.key_algorithms))
    return render_template("portal/new_request.html", form=form, choices=choices, error=error,
                           error_next=error_next, has_status=has_status(person, runtime),
                           algorithms=algorithms,
                           algorithm_labels={a: key_algorithm_label(a) for a in algorithms},
                           ec_algorithms=EC_CURVES, texts=browser_texts(),
                           pending_addresses=pending_addresses(db, person.id, runtime.now()),
                           contacts=network_contacts(db, person.id),
                           blocked_texts=_blocked_texts(choices),
                           profile=choices[0].profile if choices else None), (
        400 if error else 200)


def _blocked_texts(choices) -> dict[str, tuple[str, tuple[str, str] | None]]:
    """Per blocked mailbox: why (the same text a refused request gets) and where to act."""
    texts = {}
    for c in choices:
        if c.blocker:
            params = {**c.blocker.params(), "days": c.profile.renewal_window_days,
                      "address": c.primary.display}
            texts[c.mailbox.public_id] = (message_for(c.blocked_by, params),
                                          next_step(c.blocked_by, params))
    return texts


@bp.route("/certificates/new/browser", methods=["POST"])
@login_required
def new_request_browser():
    """The CSR of a key made in the browser (fetch from the request page); JSON answer.

    Only the CSR arrives here: the private key and its password stay in the browser.
    """
    runtime, db, person = _runtime(), get_session(), current_person()
    form = _request_form(address_choices(db, runtime, person, runtime.now()))
    if not form.validate_on_submit():
        return jsonify(ok=False, error=form_expired()), 400
    try:
        cert = _create(db, runtime, person, form, form.csr_text.data or "", origin="browser")
    except RequestError as exc:
        db.rollback()
        url, label = next_step(exc.code, exc.params) or (None, None)
        return jsonify(ok=False, error=message_for(exc.code, exc.params), next_url=url,
                       next_label=label), 400
    db.commit()
    return jsonify(ok=True, public_id=cert.public_id, emails=list(cert.addresses),
                   key_algorithm=cert.key_algorithm, spki_sha256=cert.spki_sha256,
                   show_url=url_for("portal.show", public_id=cert.public_id),
                   submit_url=url_for("portal.act", public_id=cert.public_id,
                                      trigger="submit")), 201


@bp.route("/certificates/<public_id>")
@login_required
def show(public_id: str):
    cert = _own_certificate(public_id)
    db = get_session()
    actions = [t for t in available(db, cert, current_actor(), audiences=("user",))]
    # one query: the mailbox's relationships (owner, addresses, institute) load on use only
    mailbox = db.exec(select(Mailbox).where(Mailbox.id == cert.mailbox_id)
                      .options(lazyload("*"))).first()
    refusal = None
    if cert.status == "requested" and not any(t.trigger == "submit" for t in actions):
        code, params = _refusal(db, cert, "submit")
        refusal = (message_for(code, params), next_step(code, params))
    return render_template("portal/show.html", cert=cert, mailbox=mailbox, actions=actions,
                           reason_labels=reason_labels(), texts=browser_texts(),
                           refusal=refusal)


def _refusal(db, cert: Certificate, trigger: str) -> tuple[str, dict]:
    """Why `trigger` cannot be fired on this request now: a message code and its params."""
    if cert.status != "requested":
        status = state_label("certificate", cert.status)
        return ("already_sent" if trigger == "submit" else "not_deletable"), {"status": status}
    if trigger == "submit":
        runtime = _runtime()
        mailbox = db.get(Mailbox, cert.mailbox_id)
        if mailbox is None or mailbox.status != "verified":
            return "address_inactive", {"address": cert.addresses[0] if cert.addresses else ""}
        profile = runtime.profiles[cert.profile]
        blocker = blocker_of(db, mailbox, profile, runtime.now(), sending=True)
        if blocker is not None:
            return blocker.reason, {**blocker.params(), "days": profile.renewal_window_days,
                                    "address": cert.addresses[0] if cert.addresses else ""}
    return "condition", {}


def _refuse(db, cert: Certificate, trigger: str):
    """Back to the request with the real reason why the action is not possible."""
    code, params = _refusal(db, cert, trigger)
    flash(message_for(code, params), "error")
    return redirect(url_for("portal.show", public_id=cert.public_id))


@bp.route("/certificates/<public_id>/<trigger>", methods=["GET", "POST"])
@login_required
def act(public_id: str, trigger: str):
    """Confirmation page (GET) and the action itself (POST) for send and delete."""
    if trigger not in USER_TRIGGERS:
        abort(404)
    cert = _own_certificate(public_id)
    db = get_session()
    transition = next((t for t in available(db, cert, current_actor(), audiences=("user",))
                       if t.trigger == trigger), None)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            perform(db, cert, trigger, current_actor())
            db.commit()
        except WorkflowError:
            db.rollback()
            return _refuse(db, cert, trigger)
        if trigger == "delete":
            flash(_("The request was deleted."), "success")
            return redirect(url_for("portal.certificates"))
        flash(_("The request was sent to the CA."), "success")
        if cached_issuance_pause(_runtime()).paused:
            flash(_("Issuance is paused for maintenance: your request is kept and goes to the "
                    "CA when issuance resumes. You will get an e-mail then."), "info")
        return redirect(url_for("portal.show", public_id=public_id))
    if transition is None:
        return _refuse(db, cert, trigger)
    return render_template("portal/confirm.html", cert=cert, transition=transition, form=form)


@bp.route("/certificates/<public_id>/revoke", methods=["GET", "POST"])
@login_required
def revoke(public_id: str):
    cert = _own_certificate(public_id)
    runtime, db = _runtime(), get_session()
    form = RevokeForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            certs.revoke(db, cert, current_actor(), form.reason.data, runtime.now())
            db.commit()
        except WorkflowError as exc:
            db.rollback()
            flash(message_for(exc.code), "error")
            return redirect(url_for("portal.show", public_id=public_id))
        flash(_("The certificate was revoked."), "success")
        return redirect(url_for("portal.show", public_id=public_id))
    if cert.status != "issued":
        flash(message_for("wrong_state"), "error")
        return redirect(url_for("portal.show", public_id=public_id))
    return render_template("portal/revoke.html", cert=cert, form=form,
                           reason_labels=reason_labels()), (
        400 if request.method == "POST" else 200)


@bp.route("/certificates/<public_id>/key-ring")
@login_required
def key_ring(public_id: str):
    """The signed-in person's own certificates (revoked and expired too) with their chains,
    this one first: the browser pairs them with the keys of the request files it opens.
    Only public material leaves the server, and only the person's own."""
    current = _own_certificate(public_id)
    rows = history_of(get_session(), current_person().id)
    rows.sort(key=lambda row: row.id != current.id)  # stable: the rest stays newest first
    return jsonify(certificates=[{
        "public_id": row.public_id, "status": row.status,
        "pem": row.cert_pem + (row.chain_pem or ""),
        "request_file": request_file_of(row)} for row in rows])


def request_file_of(cert: Certificate) -> str | None:
    """The name the portal gave the request file of a key made in the browser."""
    if cert.origin != "browser":
        return None
    return suggested_file_name(cert.addresses[0] if cert.addresses else cert.public_id,
                               cert.public_id)


@bp.route("/certificates/<public_id>/download/<kind>")
@login_required
def download(public_id: str, kind: str):
    cert = _own_certificate(public_id)
    if kind not in BUNDLES or not cert.cert_pem:
        abort(404)
    data, mimetype, suffix = bundle(cert, kind)
    name = (cert.addresses[0] if cert.addresses else cert.public_id).replace("@", "_at_")
    return current_app.response_class(data, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{name}{suffix}"'})
