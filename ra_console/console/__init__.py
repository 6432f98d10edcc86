"""The operator console (Flask-Admin), gated by role and scoped by institute."""

from __future__ import annotations

import secrets

from flask import Flask, Response, g, request
from flask_admin import Admin, helpers as admin_helpers
from flask_admin.theme import Bootstrap4Theme
from flask_babel import get_locale, lazy_gettext
from sqlalchemy.orm import scoped_session, sessionmaker

from ra_console.console import chrome
from ra_console.console.csv_import import CsvImportView
from ra_console.console.dashboard import DashboardView
from ra_console.console.identity import IdentityCheckView, IdentityDeskView
from ra_console.console.mailboxes import MailboxView, NameApprovalView
from ra_console.console.problem_reports import ProblemReportView
from ra_console.console.roles import DomainView, RoleView
from ra_console.console.scim_clients import ScimClientsView
from ra_console.console.settings import SettingsView
from ra_console.console.views import (
    ApprovalView,
    AuditVerifyView,
    AuditView,
    CertificateView,
    InstituteView,
    OutboxView,
    PersonView,
)
from ra_console.models import (
    AuditEvent,
    Certificate,
    IdentityCheck,
    Institute,
    InstituteDomain,
    Mailbox,
    OutboxMessage,
    Person,
    ProblemReport,
    RoleAssignment,
)
from ra_console.web.redirects import local_target


def _nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def console_session(runtime) -> scoped_session:
    """A plain, request-scoped SQLAlchemy session for Flask-Admin (a sqlmodel Session warns
    on every list query). Flask-Admin 2 warns about bare sessions unless the object has a
    `.session` attribute, as Flask-SQLAlchemy's `db` has; pointing it at itself satisfies
    that check and keeps querying on this very session."""
    factory = sessionmaker(bind=runtime.engine, expire_on_commit=False,
                           info={"runtime": runtime})
    session = scoped_session(factory)
    session.session = session
    return session


def declare_language(response: Response) -> Response:
    """Flask-Admin's page skeleton has a bare <html>: say the page's language (WCAG 3.1.1),
    so screen readers pronounce it right."""
    if request.path.startswith("/console") and response.mimetype == "text/html" \
            and not response.direct_passthrough:
        body = response.get_data(as_text=True)
        if "<html>" in body[:200]:
            response.set_data(body.replace("<html>", f'<html lang="{get_locale()}">', 1))
    return response


def is_safe_return_url(target: str) -> bool:
    """Flask-Admin's check of its `url=` return targets, replaced by the app's one rule:
    Flask-Admin redirects to the target exactly as given, so it must pass unchanged."""
    return local_target(target, "") == target


def init_console(app: Flask, runtime) -> Admin:
    # flask_admin.helpers.get_redirect_target asks this module-level check
    admin_helpers.is_safe_url = is_safe_return_url
    session = console_session(runtime)
    app.teardown_appcontext(lambda _exc: session.remove())
    app.after_request(declare_language)
    chrome.install(app)
    admin = Admin(app, name=lazy_gettext("RA console"), url="/console",
                  index_view=DashboardView(name=lazy_gettext("Overview"), url="/console"),
                  theme=Bootstrap4Theme(), csp_nonce_generator=_nonce)
    admin.add_view(MailboxView(Mailbox, session, name=lazy_gettext("My e-mail domains"),
                               endpoint="mailboxes"))
    admin.add_view(CsvImportView(name=lazy_gettext("CSV import"), endpoint="csv_import",
                                 url="/console/csv-import"))
    admin.add_view(CertificateView(Certificate, session, name=lazy_gettext("Certificates"),
                                   endpoint="certificates"))
    admin.add_view(ApprovalView(Certificate, session, name=lazy_gettext("Certificate requests"),
                                category=lazy_gettext("Approvals"), endpoint="approvals"))
    admin.add_view(NameApprovalView(Mailbox, session, name=lazy_gettext("Names of functional mailboxes"),
                                    category=lazy_gettext("Approvals"), endpoint="name_approvals"))
    admin.add_view(ProblemReportView(ProblemReport, session, name=lazy_gettext("Problem reports"),
                                     endpoint="problem_reports"))
    admin.add_view(IdentityDeskView(name=lazy_gettext("Identity check"), endpoint="identity_desk",
                                    url="/console/identity-desk"))
    admin.add_view(IdentityCheckView(IdentityCheck, session, name=lazy_gettext("Identity checks"),
                                     category=lazy_gettext("Administration"), endpoint="identity_checks"))
    admin.add_view(PersonView(Person, session, name=lazy_gettext("Persons"), category=lazy_gettext("Administration"),
                              endpoint="persons"))
    admin.add_view(RoleView(RoleAssignment, session, name=lazy_gettext("Roles"), category=lazy_gettext("Administration"),
                            endpoint="roles"))
    admin.add_view(InstituteView(Institute, session, name=lazy_gettext("Institutes"),
                                 category=lazy_gettext("Administration"), endpoint="institutes"))
    admin.add_view(DomainView(InstituteDomain, session, name=lazy_gettext("Mail domains"),
                              category=lazy_gettext("Administration"), endpoint="domains"))
    admin.add_view(SettingsView(name=lazy_gettext("Settings"), category=lazy_gettext("Administration"),
                                endpoint="settings", url="/console/settings"))
    admin.add_view(ScimClientsView(name=lazy_gettext("SCIM clients"),
                                   category=lazy_gettext("Administration"),
                                   endpoint="scim_clients", url="/console/scim-clients"))
    admin.add_view(OutboxView(OutboxMessage, session, name=lazy_gettext("Outbox"), category=lazy_gettext("Operations"),
                              endpoint="outbox"))
    admin.add_view(AuditView(AuditEvent, session, name=lazy_gettext("Audit log"), category=lazy_gettext("Operations"),
                             endpoint="audit"))
    admin.add_view(AuditVerifyView(name=lazy_gettext("Verify the audit chain"), category=lazy_gettext("Operations"),
                                   endpoint="audit_verify", url="/console/audit-verify"))
    return admin
