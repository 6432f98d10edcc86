"""The operator console (Flask-Admin), gated by role and scoped by institute."""

from __future__ import annotations

from flask import Flask, g
from flask_admin import Admin, helpers as admin_helpers
from flask_admin.theme import Bootstrap4Theme
from sqlalchemy.orm import scoped_session, sessionmaker

from ra_console.console.csv_import import CsvImportView
from ra_console.console.dashboard import DashboardView
from ra_console.console.identity import IdentityCheckView, IdentityDeskView
from ra_console.console.mailboxes import MailboxView, NameApprovalView
from ra_console.console.settings import SettingsView
from ra_console.console.views import (
    ApprovalView,
    AuditVerifyView,
    AuditView,
    CertificateView,
    DomainView,
    InstituteView,
    OutboxView,
    PersonView,
    RoleView,
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
    RoleAssignment,
)
from ra_console.web.redirects import local_target


def _nonce() -> str:
    import secrets

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


def is_safe_return_url(target: str) -> bool:
    """Flask-Admin's check of its `url=` return targets, replaced by the app's one rule:
    Flask-Admin redirects to the target exactly as given, so it must pass unchanged."""
    return local_target(target, "") == target


def init_console(app: Flask, runtime) -> Admin:
    # flask_admin.helpers.get_redirect_target asks this module-level check
    admin_helpers.is_safe_url = is_safe_return_url
    session = console_session(runtime)
    app.teardown_appcontext(lambda _exc: session.remove())
    admin = Admin(app, name="RA-Konsole", url="/console",
                  index_view=DashboardView(name="Übersicht", url="/console"),
                  theme=Bootstrap4Theme(), csp_nonce_generator=_nonce)
    admin.add_view(MailboxView(Mailbox, session, name="Meine E-Mail-Domains",
                               endpoint="mailboxes"))
    admin.add_view(CsvImportView(name="CSV-Import", endpoint="csv_import",
                                 url="/console/csv-import"))
    admin.add_view(CertificateView(Certificate, session, name="Zertifikate",
                                   endpoint="certificates"))
    admin.add_view(ApprovalView(Certificate, session, name="Zertifikatsanträge",
                                category="Genehmigungen", endpoint="approvals"))
    admin.add_view(NameApprovalView(Mailbox, session, name="Namen von Funktionspostfächern",
                                    category="Genehmigungen", endpoint="name_approvals"))
    admin.add_view(IdentityDeskView(name="Identitätsprüfung", endpoint="identity_desk",
                                    url="/console/identity-desk"))
    admin.add_view(IdentityCheckView(IdentityCheck, session, name="Identitätsprüfungen",
                                     category="Verwaltung", endpoint="identity_checks"))
    admin.add_view(PersonView(Person, session, name="Personen", category="Verwaltung",
                              endpoint="persons"))
    admin.add_view(RoleView(RoleAssignment, session, name="Rollen", category="Verwaltung",
                            endpoint="roles"))
    admin.add_view(InstituteView(Institute, session, name="Einrichtungen",
                                 category="Verwaltung", endpoint="institutes"))
    admin.add_view(DomainView(InstituteDomain, session, name="Mail-Domains",
                              category="Verwaltung", endpoint="domains"))
    admin.add_view(SettingsView(name="Einstellungen", category="Verwaltung",
                                endpoint="settings", url="/console/settings"))
    admin.add_view(OutboxView(OutboxMessage, session, name="Outbox", category="Betrieb",
                              endpoint="outbox"))
    admin.add_view(AuditView(AuditEvent, session, name="Audit-Log", category="Betrieb",
                             endpoint="audit"))
    admin.add_view(AuditVerifyView(name="Audit-Kette prüfen", category="Betrieb",
                                   endpoint="audit_verify", url="/console/audit-verify"))
    return admin
