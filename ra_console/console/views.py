"""Console model views: each one states its roles; network contacts are scoped."""

from __future__ import annotations

import re

from flask import flash, g, request
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.model.template import LinkRowAction
from flask_babel import format_decimal, get_locale, gettext as _, lazy_gettext
from markupsafe import Markup
from sqlalchemy.orm import defer, lazyload, selectinload
from sqlmodel import select

from ra_console.adapters import outbox
from ra_console.console.base import (
    AUDIT_READERS,
    HISTORY,
    GuardedModelView,
    GuardedView,
    institute_scope,
    readable_column,
    status_label,
)
from ra_console.console.faces import colon_serial, face_of, name_and_username, person_name
from ra_console.console.labels import trigger_label, value_label
from ra_console.console.list_links import ListLinks
from ra_console.console.name_search import (
    NameTerms,
    count_and_ids,
    count_of,
    named,
    ranked_page,
)
from ra_console.console.revoke_all import BulkRevokeMixin, RevocationForm, RevokeAllMixin
from ra_console.console.workflow_actions import WorkflowActionsMixin
from ra_console.core.db import get_session
from ra_console.models import (
    Certificate,
    CertificateIdentifier,
    Mailbox,
    MailboxAddress,
    Person,
)
from ra_console.models.certificate_identifier import IDENTIFIERS
from ra_console.models.organization import display_name_of
from ra_console.queries.certificate_list import (
    ESTIMATE_FROM,
    listed_certificates,
    listed_page,
    whole_list_count,
)
from ra_console.usecases.addresses import normalize as normalize_address
from ra_console.usecases.certificates import revoke
from ra_console.usecases.sessions import end_all_sessions
from ra_console.web.current import current_actor
from ra_console.web.formats import local_time
from ra_console.web.messages import audit_message
from ra_console.web.pages import state_label
from ra_console.workflow import workflows
from ra_console.workflow.audit import verify_chain


def _consents(view, context, model, name):
    """Which consents the requester gave (and when)."""
    return ", ".join(value_label("consent", key) for key in (model.consents or {}))


def _findings(view, context, model, name):
    """pkilint's and the RA's findings: severity, message, and the check's code as code."""
    return Markup("<br>").join(
        Markup("{}: {} <code>{}</code>").format(f.get("severity", ""), f.get("message") or "",
                                                f.get("code", ""))
        for f in model.lint_findings or [])


def _audit_action(view, context, model, name):
    return trigger_label(model.entity_type, model.trigger, str(get_locale()))


def _audit_state(view, context, model, name):
    state = getattr(model, name)
    if state is None or model.entity_type not in workflows():
        return state or ""
    return workflows()[model.entity_type].state_label(state, str(get_locale()))


def _value_of(group: str):
    def format_value(view, context, model, name):
        return value_label(group, getattr(model, name))
    return format_value


def _institute(view, context, model, name):
    institute = model.mailbox.institute if model.mailbox else None
    return institute.code if institute else ""


def _serial(view, context, model, name):
    return colon_serial(model.serial)


class ApprovalView(WorkflowActionsMixin, GuardedModelView):
    """Requests waiting for an RA admin's approval (four eyes: never one's own)."""
    read_roles = ("ra_admin", "auditor")
    column_list = ["addresses", "person", "common_name", "profile", "key_algorithm",
                   "created_at"]
    column_default_sort = ("created_at", False)
    column_auto_select_related = False  # get_query loads the person (selectinload)
    can_export = False

    def get_query(self):
        return super().get_query().options(selectinload(Certificate.person))

    def scope_query(self, query):
        return query.filter(Certificate.status == "pending_approval")


class CertificateView(BulkRevokeMixin, WorkflowActionsMixin, GuardedModelView):
    read_roles = ("ra_admin", "auditor", "network_contact")
    write_roles = ("ra_admin",)
    # The list shows what operators scan for (whose, which addresses, until when); CA
    # reference, key, reference id and directory state are in the details and the export
    # (every column costs rendering on every row).
    column_list = ["status", "addresses", "person", "mailbox.institute", "profile",
                   "created_at", "not_after", "serial", "ca_name"]
    column_export_list = ["public_id", "status", "addresses", "common_name", "profile",
                          "key_algorithm", "created_at", "not_after", "serial", "ca_name",
                          "ca_ref", "directory_state", "revocation_reason", "revoked_at"]
    column_sortable_list = ["status", "profile", "created_at", "not_after"]
    column_searchable_list = ["common_name", "serial", "spki_sha256", "public_id"]
    column_filters = ["status", "profile", "origin", "created_at", "not_after"]
    column_default_sort = ("created_at", True)
    column_details_exclude_list = ["csr_pem", "chain_pem"]
    column_formatters = {"status": status_label("certificate"), "consents": _consents,
                         "lint_findings": _findings,
                         "mailbox.institute": _institute, "serial": _serial,
                         "revocation_reason": _value_of("revocation_reason")}
    column_formatters_export = {"revocation_reason": _value_of("revocation_reason")}
    column_export_exclude_list = ["csr_pem", "cert_pem", "chain_pem", "consents"]
    trigger_forms = {"revoke": RevocationForm}
    column_auto_select_related = False  # get_query loads person and mailbox (selectinload)
    list_template = "console/certificate_list.html"
    estimate_from = ESTIMATE_FROM  # see get_count_query

    def get_query(self):
        # the list never shows the PEM texts (kilobytes each, stored out of line); person
        # and institute come in one extra query per page, the mailbox's addresses and
        # owner only if something asks (the row's addresses are its own column)
        return super().get_query().options(
            defer(Certificate.csr_pem), defer(Certificate.cert_pem),
            defer(Certificate.chain_pem), selectinload(Certificate.person),
            selectinload(Certificate.mailbox).options(
                lazyload(Mailbox.addresses), lazyload(Mailbox.owner)))

    def scope_query(self, query):
        return institute_scope(query, Mailbox.institute_id,
                               join=(Mailbox, Mailbox.id == Certificate.mailbox_id))

    def fire_transition(self, session, row, trigger, form):
        if trigger == "revoke":  # through the revocation use case: reason and time recorded
            revoke(session, row, current_actor(), form.reason.data,
                   session.info["runtime"].now(), comment=form.comment.data or "")
        else:
            super().fire_transition(session, row, trigger, form)

    def consequences(self, row, transition):
        if transition.trigger == "revoke":
            return [_("The certificate %(name)s will be revoked; the holder is told by "
                      "e-mail.", name=face_of(row))]
        return []

    def get_count_query(self):
        """The whole list (no search, no filter) of a role that sees every certificate, on
        PostgreSQL: its size as PostgreSQL estimates it once the table is large
        (queries/certificate_list.py), shown as "about"; every other count is exact."""
        if self._whole_list():
            g.count_is_estimate = True
            return self.session.query(whole_list_count(self.estimate_from))
        return super().get_count_query()

    def _whole_list(self) -> bool:
        actor = current_actor()
        return (request.endpoint == f"{self.endpoint}.index_view"
                and not request.args.get("search")
                and not any(key.startswith("flt") for key in request.args)
                and self.session.get_bind().dialect.name == "postgresql"
                and actor.sees_everything)

    def about_count(self, count: int | None) -> str | None:
        """"about 1,044,195" for an estimated count, else None."""
        if not g.get("count_is_estimate") or (count or 0) < self.estimate_from:
            return None
        return _("about %(num)s", num=format_decimal(count))

    def render(self, template, **kwargs):
        if template == self.list_template:  # the list page's links (console/list_links.py)
            kwargs["links"] = ListLinks(
                self.get_url(".index_view"), self.get_url(".export", export_type="csv"),
                page=kwargs["page"], sort=kwargs["sort_column"], desc=kwargs["sort_desc"],
                search=kwargs["search"], extra_args=kwargs["extra_args"],
                page_size=kwargs["page_size"], filter_args=kwargs["filter_args"],
                query_args=list(request.args.items(multi=True)))
        return super().render(template, **kwargs)

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True,
                 page_size=None):
        """The list page's rows as plain rows of the listed columns (listed_cells formats
        them); other callers (the export) get entities. A search by names only, in the
        default order, for an actor who sees every certificate, is counted, ranked and paged
        in the narrow name table (name_search.py); everything else goes Flask-Admin's way
        (with the names as a semi-join there)."""
        names, others = _split_terms(search or "")
        actor = current_actor()
        listing = execute and request.endpoint == f"{self.endpoint}.index_view"
        ranked = (execute and names and not others and not filters and sort_column is None
                  and actor.sees_everything)
        if not (listing or ranked):
            return super().get_list(page, sort_column, sort_desc, search, filters,
                                    execute=execute, page_size=page_size)
        page_size = self.page_size if page_size is None else page_size
        session = get_session()
        if ranked and listing:  # the ranked page, its count and its rows in one statement
            count, rows = listed_page(session, *ranked_page(names, page, page_size))
            if count is None:  # nothing, or a page past the end
                count = count_of(session, names) if page else 0
            return count, rows
        if ranked:
            count, ids = count_and_ids(session, names, page, page_size)
        else:
            count, query = super().get_list(page, sort_column, sort_desc, search, filters,
                                            execute=False, page_size=page_size)
            ids = [row_id for (row_id,) in query.with_entities(Certificate.id)]
        if listing:
            return count, listed_certificates(session, ids)
        position = {row_id: n for n, row_id in enumerate(ids)}
        rows = self.get_query().filter(Certificate.id.in_(ids)).all() if ids else []
        return count, sorted(rows, key=lambda row: position[row.id])

    def listed_cells(self, row) -> list[tuple[str, str]]:
        """The column_list's cells of a listed row, as the column formatters show them."""
        name = display_name_of(row.given_name, row.surname, row.legal_given_name,
                               row.legal_surname, row.username) if row.username else ""
        cells = {"status": state_label("certificate", row.status),
                 "addresses": ", ".join(row.addresses or []),
                 "person": name_and_username(name, row.username) if name else "",
                 "mailbox.institute": row.institute or "", "profile": row.profile,
                 "created_at": local_time(row.created_at),
                 "not_after": local_time(row.not_after), "serial": colon_serial(row.serial),
                 "ca_name": row.ca_name or ""}
        return [(column, cells[column]) for column in self.column_list]

    def _apply_search(self, query, count_query, joins, count_joins, search):
        """Flask-Admin's search (each term: ILIKE on every searchable column that could
        hold it, `^term` a prefix, `=term` exact); a prefix term or one shaped like an
        address (with "@" or ".") also matches the addresses of the certificate's mailbox.
        Each term finds certificates in the narrow tables that hold the searched columns
        (names: certificate_name, migration 0012; serial, key fingerprint and id:
        certificate_identifier, migration 0018), by equality on the certificate's B-tree
        indexes (a whole fingerprint or id), and through the mailboxes whose addresses
        match (migration 0006): all looked up at once, for the page and its count
        (_certificates_found). A bare word ("anna") would match tens of thousands of
        addresses and is searched in the names only; terms that can only be a name are
        matched in the name table in one lookup."""
        from sqlalchemy import false, union_all

        names, others = _split_terms(search)
        conditions = [names.certificate_ids()] if names else []
        for term, pattern, hexlike, has_digit in others:
            found, parts = [], []  # selects of certificate ids; identifier kinds to match
            for field, _path in self._search_fields:
                if field.key in HEX_COLUMNS and hexlike:
                    whole = _hex_match(field, pattern)
                    if whole is PART:
                        parts.append(field.key)
                    elif whole is not None:
                        found.append(select(Certificate.id).where(whole))
                elif field.key in NAME_COLUMNS and not has_digit:
                    found.append(named(pattern))
            if parts:
                found.append(select(CertificateIdentifier.certificate_id).where(
                    CertificateIdentifier.kind.in_(parts),
                    CertificateIdentifier.value.ilike(pattern)))
            if term.startswith("^") or "@" in term or "." in term:
                found.append(_address_certificates(pattern))
            conditions.append(_certificates_found(
                found[0] if len(found) == 1 else union_all(*found)) if found else false())
        for condition in conditions:
            query = query.filter(condition)
            if count_query is not None:
                count_query = count_query.filter(condition)
        return query, count_query, joins, count_joins


def _split_terms(search: str) -> tuple[NameTerms, list[tuple[str, str, bool, bool]]]:
    """The search's terms that can only match a name (no hex digits only, no digit, not a
    prefix or address), and the others as (term, LIKE pattern, hex-like, has a digit)."""
    from flask_admin.contrib.sqla import tools

    names, others = NameTerms(), []
    for term in search.split(" "):
        if not term:
            continue
        term = _hex_term(term)
        pattern = tools.parse_like_term(term)
        hexlike = set(pattern) <= HEX_PATTERN_CHARS
        has_digit = any(c.isdigit() for c in term)
        addresslike = term.startswith("^") or "@" in term or "." in term
        if not (hexlike or has_digit or addresslike):
            names.add(term, pattern)
        else:
            others.append((term, pattern, hexlike, has_digit))
    return names, others


# Columns that hold only hexadecimal digits (and a UUID's dashes): a term with any other
# letter cannot match them, so they are left out of its OR (fewer index rechecks).
HEX_COLUMNS = set(IDENTIFIERS)
HEX_PATTERN_CHARS = set("0123456789abcdefABCDEF-%_")
DASHED_COLUMNS = {"public_id"}  # a UUID's dashes; the other hex columns have none
# Columns with a person's name only (functional certificates have none): names have no
# digits, so a term with a digit ("^staff248220", a serial) skips their trigram scan.
NAME_COLUMNS = {"common_name"}
IDS_MAX = 2000  # certificates a search term finds: beyond this, an IN (subquery)


COLON_HEX = re.compile(r"[0-9A-Fa-f]{1,2}(?::[0-9A-Fa-f]{1,2})+")
SERIAL_OCTETS_MAX = 20  # RFC 5280 4.1.2.2; a longer colon form is a fingerprint
PLAIN_HEX = re.compile(r"%[0-9a-f-]+%")


def _hex_term(term: str) -> str:
    """A serial or fingerprint as viewers show it ("0A:1B:…", any case) in the stored form:
    lower-case hex without colons, a serial without leading zeros (format(n, "x"))."""
    if COLON_HEX.fullmatch(term):
        digits = term.replace(":", "").lower()
        if term.count(":") >= SERIAL_OCTETS_MAX:  # a fingerprint keeps its leading zeros
            return digits
        return digits.lstrip("0") or "0"
    return term


PART = object()  # _hex_match: the term may be a part of the column's value


def _hex_match(field, pattern: str):
    """How a hexadecimal column can hold the term: equality on the stored lower-case form
    for a term as long as the column (a whole fingerprint or id: a B-tree look-up instead
    of a trigram scan with 60 trigrams, 58 ms at a million certificates), PART for a part
    of it (found in certificate_identifier), or None for a term it cannot hold (longer, or
    with a dash it has none of)."""
    length = field.type.length
    inner = pattern.lower()
    if "-" in inner and field.key not in DASHED_COLUMNS:
        return None  # serials and fingerprints are hex digits only
    if PLAIN_HEX.fullmatch(inner) and length:
        if len(inner) - 2 > length:
            return None
        if len(inner) - 2 == length:
            return field == inner[1:-1]
    return PART


def _certificates_found(found):
    """The certificates a term finds (`found`: a select of their ids), looked up once and
    passed on as values, so that the page and its count do not repeat the trigram scans
    (each 5-10 ms for a part of a serial at a million certificates: hexadecimal text has
    few distinct trigrams); a term that finds very many stays a semi-join."""
    from sqlalchemy import ARRAY, Integer, any_, bindparam, false

    session = get_session()
    rows = session.execute(found.limit(IDS_MAX + 1)).all()  # (an id may come twice)
    if len(rows) > IDS_MAX:  # a very broad term: let the database join
        return Certificate.id.in_(found)
    ids = sorted({row[0] for row in rows})
    if not ids:
        return false()
    if session.get_bind().dialect.name == "postgresql":  # one parameter, any number of ids
        return Certificate.id == any_(bindparam(None, ids, type_=ARRAY(Integer)))
    return Certificate.id.in_(ids)


def _address_certificates(pattern: str):
    """The ids of the certificates of mailboxes with an address matching `pattern`: a
    semi-join, looked up with the term's other matches at once. A prefix or an exact term,
    normalised as addresses are stored, is a LIKE on the B-tree (a trigram scan cost 1.3 ms
    at 330 000 addresses, the B-tree 0.03 ms); a part ("%…%") an ILIKE on the trigram
    index."""
    address = MailboxAddress.address
    match = address.ilike(pattern) if pattern.startswith("%") else address.like(
        normalize_address(pattern))
    return select(Certificate.id).where(Certificate.mailbox_id.in_(
        select(MailboxAddress.mailbox_id).where(match)))


class InstituteView(GuardedModelView):
    allow_create = allow_edit = True
    column_list = ["code", "name_de", "name_en"]
    column_searchable_list = ["code", "name_de", "name_en"]
    form_columns = ["code", "name_de", "name_en"]


class PersonView(RevokeAllMixin, GuardedModelView):
    column_extra_row_actions = [
        LinkRowAction("fa fa-ban", "revoke-all/{row_id}", title=lazy_gettext("Revoke all certificates")),
        HISTORY,
    ]
    column_list = ["username", "given_name", "surname", "affiliations", "legal_surname",
                   "last_login_at"]
    column_searchable_list = ["username", "given_name", "surname"]
    column_filters = ["affiliations", "last_login_at"]
    column_exclude_list = ["public_id"]
    column_details_exclude_list = column_export_exclude_list = ["session_generation"]

    @action("end_sessions", lazy_gettext("Sign out everywhere"),
            lazy_gettext("End every session of the selected people (in every browser)?"))
    def action_end_sessions(self, ids):
        """For a lost device or a stolen session: the person must sign in again."""
        session, actor = get_session(), current_actor()
        for person_id in ids:  # get_one: unknown ids are a 404
            person = session.get(Person, self.get_one(person_id).id)
            end_all_sessions(session, person, actor, trigger="sign_out_everywhere",
                             role="ra_admin")
        session.commit()
        flash(_("The selected people are signed out in every browser."), "success")


class OutboxView(GuardedModelView):
    column_list = ["id", "kind", "state", "attempts", "next_attempt_at", "last_error",
                   "created_at", "done_at"]
    column_filters = ["kind", "state"]
    named_filter_urls = True  # the dashboard links to ?flt0_kind_equals=mail.alert
    column_default_sort = ("id", True)
    column_export_exclude_list = ["payload"]
    column_details_exclude_list = ["dedupe_key"]  # technical; the export keeps it
    column_formatters = {"kind": _value_of("outbox_kind"), "state": _value_of("outbox_state"),
                         "payload": readable_column}

    @action("retry", lazy_gettext("Retry"), lazy_gettext("Retry the selected dead messages?"))
    def action_retry(self, ids):
        session = get_session()
        for message_id in ids:
            outbox.retry_dead(session, int(message_id), session.info["runtime"].now())
        session.commit()
        flash(_("Dead messages are queued again."), "success")


def _audit_person(entity_type: str, entity_id: str) -> Person | None:
    """The person a person's event (public id) or a role's event (person number) is about;
    looked up once per page and record."""
    cache = g.setdefault("audit_people", {})
    key = (entity_type, entity_id)
    if key not in cache:
        session = get_session()
        if entity_type == "role":
            cache[key] = session.get(Person, int(entity_id)) if entity_id.isdigit() else None
        else:
            cache[key] = session.exec(select(Person).where(
                Person.public_id == entity_id)).first()
    return cache[key]


def _audit_record(view, context, model, name):
    """Events about a person or their roles name the person; the id stays in the export
    and the details (and the search finds it)."""
    if model.entity_type in ("person", "role"):
        person = _audit_person(model.entity_type, model.entity_id)
        if person is not None:
            return person_name(person)
    return model.entity_id


class AuditView(GuardedModelView):
    read_roles = AUDIT_READERS
    write_roles = ()
    column_list = ["seq", "at", "entity_type", "entity_id", "trigger", "from_state",
                   "to_state", "actor", "role", "ip"]
    column_searchable_list = ["entity_id", "actor", "trigger"]
    column_filters = ["entity_type", "trigger", "actor", "role", "at"]
    column_default_sort = ("seq", True)
    list_template = "console/audit_list.html"
    column_formatters = {"entity_type": _value_of("entity_type"), "trigger": _audit_action,
                         "from_state": _audit_state, "to_state": _audit_state,
                         "data": readable_column, "entity_id": _audit_record}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # the export keeps the record's id (what the search and other tools match on)
        self.column_formatters_export = {
            name: formatter for name, formatter in self.column_formatters_export.items()
            if name != "entity_id"}


class AuditVerifyView(GuardedView):
    @expose("/")
    def index(self):
        result = verify_chain(get_session())
        problem = None if result.ok else audit_message(result.code, result.params)
        return self.render("console/audit_verify.html", result=result, problem=problem)

