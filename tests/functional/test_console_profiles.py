"""RA admins edit certificate profiles and CA connections in the console ("Einstellungen"):
checked with the start-up rules, audited, in force at once in the writing process and
after settings_cache_seconds in every other one; auditors read, nobody else gets in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select

from ra_console.adapters.ca.registry import connector_for
from ra_console.adapters.runtime import build_runtime
from ra_console.models import AuditEvent, Certificate, Setting

PERSONAL = "/console/settings/profiles/personal"
FUNCTIONAL = "/console/settings/profiles/functional"
HARICA = "/console/settings/ca/harica"
SECTIGO = "/console/settings/ca/sectigo"
API_KEY, SECTIGO_SECRET = "harica-k3y-never-shown", "sectigo-s3cret-never-shown"


@pytest.fixture
def config_overrides():
    return {"harica_api_key": API_KEY, "sectigo_client_secret": SECTIGO_SECRET}


def profile_form(**changes) -> dict:
    """The personal profile's form as the configuration fills it, with `changes`."""
    values = {"action": "save", "ca": "local", "validity_days": "730",
              "key_algorithms": "RSA-4096, RSA-3072, RSA-2048, EC-P256, EC-P384",
              "renewal_window_days": "28",
              "approval_required": "",
              "fixed_subject": "O=Example University\norganizationIdentifier=VATDE-DE123456789"
                               "\nC=DE"}
    values.update(changes)
    return {k: v for k, v in values.items() if v != "" or k != "approval_required"}


def harica_form(**changes) -> dict:
    values = {"action": "save", "base_url": "https://cm.harica.gr", "organization_id": "",
              "cert_types": "personal=natural_legal_lcp\nfunctional=email_only",
              "timeout_seconds": "30", "trust_anchors": ""}
    values.update(changes)
    return values


def settings_rows(runtime) -> dict:
    with runtime.session() as s:
        return {row.key: row.value for row in s.exec(select(Setting)).all()
                if row.key != "issuance_pause"}


def setting_events(runtime) -> list[AuditEvent]:
    with runtime.session() as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.entity_type == "setting")
                           .order_by(AuditEvent.seq)).all())


def certificate(runtime, public_id) -> Certificate:
    with runtime.session() as s:
        return s.exec(select(Certificate).where(Certificate.public_id == public_id)).one()


def test_admin_edits_a_profile_and_new_requests_follow_it(browser, runtime,
                                                          request_certificate, run_jobs):
    browser.login("admin")
    response = browser.submit(PERSONAL, profile_form(validity_days="365",
                                                     approval_required="1"))
    assert response.status_code == 302
    assert settings_rows(runtime) == {"profile:personal": {"validity_days": 365,
                                                           "approval_required": True}}
    overview = browser.get("/console/settings/").get_data(as_text=True)
    assert "changed in the console (admin" in overview

    public_id = request_certificate("erika")
    assert certificate(runtime, public_id).status == "pending_approval"
    browser.login("admin")
    cert = certificate(runtime, public_id)
    browser.submit(f"/console/approvals/actions/{cert.id}", {"comment": "ok"},
                   action=f"/console/approvals/fire/{cert.id}/approve")
    run_jobs()
    cert = certificate(runtime, public_id)
    assert cert.status == "issued"
    assert cert.not_after - cert.not_before == timedelta(days=365, seconds=-2)


def test_edit_page_shows_the_values_in_force(browser, runtime):
    browser.login("admin")
    browser.submit(PERSONAL, profile_form(key_algorithms="RSA-3072"))
    page = browser.get(PERSONAL).get_data(as_text=True)
    assert 'name="key_algorithms" class="form-control" value="RSA-3072"' in page
    assert runtime.profiles["personal"].key_algorithms == ("RSA-3072",)
    assert "Changed in the console: Key algorithms." in page


@pytest.mark.parametrize("url, changes, field, message", [
    (PERSONAL, {"validity_days": "900"}, "validity_days",
     "Validity (days): must be a whole number between 1 and 825"),
    (PERSONAL, {"validity_days": "one year"}, "validity_days",
     "Validity (days): must be a whole number"),
    (PERSONAL, {"renewal_window_days": "730"}, "renewal_window_days",
     "Renewal window (days): must be a whole number between 0 and 729"),
    (PERSONAL, {"key_algorithms": "RSA-1024"}, "key_algorithms",
     "Key algorithms: unsupported key algorithm &#39;RSA-1024&#39;"),
    (PERSONAL, {"key_algorithms": ""}, "key_algorithms", "Key algorithms: must not be empty"),
    (PERSONAL, {"fixed_subject": "O=Example University\nC=DE"}, "fixed_subject",
     "Fixed attributes: sponsor-validated profiles need organizationIdentifier"),
    (PERSONAL, {"fixed_subject": "Example University"}, "fixed_subject",
     "Fixed attributes: each line must read ATTRIBUTE=value"),
    (PERSONAL, {"ca": "harika"}, "ca", "CA: unknown CA"),
    (FUNCTIONAL, {"fixed_subject": "O=Example University"}, "fixed_subject",
     "Fixed attributes: must be empty for mailbox-validated profiles"),
])
def test_invalid_profile_input_is_named_and_changes_nothing(browser, runtime, url, changes,
                                                            field, message):
    before = runtime.profiles[url.rsplit("/", 1)[1]]
    browser.login("admin")
    form = profile_form(**{"fixed_subject": "" if url == FUNCTIONAL else
                           profile_form()["fixed_subject"], **changes})
    response = browser.submit(url, form)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="error-{field}">{message}' in page
    typed = changes[field]
    if field in ("validity_days", "renewal_window_days", "key_algorithms"):
        assert f'name="{field}" class="form-control is-invalid" value="{typed}"' in page
    elif field == "fixed_subject":
        assert f'>{typed}</textarea>' in page
    assert settings_rows(runtime) == {}
    assert setting_events(runtime) == []
    assert runtime.profiles[url.rsplit("/", 1)[1]] is before


def test_errors_are_translated(browser, runtime):
    browser.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de"
    browser.login("admin")
    page = browser.submit(PERSONAL, profile_form(validity_days="900")).get_data(as_text=True)
    assert "Laufzeit (Tage): muss eine ganze Zahl zwischen 1 und 825 sein" in page
    assert "Nicht gespeichert" in page


def test_reset_restores_the_configuration(browser, runtime):
    browser.login("admin")
    browser.submit(PERSONAL, profile_form(validity_days="365", approval_required="1",
                                          ca="harica"))
    assert (runtime.profiles["personal"].validity_days, runtime.profile_cas["personal"]) \
        == (365, "harica")
    assert browser.submit(PERSONAL, {"action": "reset"}).status_code == 302
    assert settings_rows(runtime) == {}
    profile = runtime.profiles["personal"]
    assert (profile.validity_days, profile.approval_required) == (730, False)
    assert runtime.profile_cas["personal"] == "local"
    assert "Reset to the configuration" not in browser.get(PERSONAL).get_data(as_text=True)


def test_saving_the_configured_values_keeps_no_override(browser, runtime):
    browser.login("admin")
    browser.submit(PERSONAL, profile_form(validity_days="365"))
    browser.submit(PERSONAL, profile_form())
    assert settings_rows(runtime) == {}


def test_every_change_is_audited(browser, runtime):
    browser.login("admin")
    browser.submit(PERSONAL, profile_form(validity_days="365"))
    browser.submit(PERSONAL, {"action": "reset"})
    browser.submit(HARICA, harica_form(organization_id="org-42"))
    events = [(e.entity_id, e.trigger, e.actor, e.role, {k: v for k, v in e.data.items() if k != "request_id"})
              for e in setting_events(runtime)]
    assert events == [
        ("profile:personal", "update", "admin", "ra_admin", {"validity_days": 365}),
        ("profile:personal", "reset", "admin", "ra_admin", {}),
        ("ca:harica", "update", "admin", "ra_admin", {"organization_id": "org-42"}),
    ]


def test_auditor_reads_but_cannot_change(browser, runtime):
    browser.login("auditor")
    for url in ("/console/settings/", PERSONAL, HARICA, SECTIGO):
        page = browser.get(url)
        assert page.status_code == 200, url
        assert "Save" not in page.get_data(as_text=True)
    for url, form in ((PERSONAL, profile_form(validity_days="365")), (PERSONAL,
                      {"action": "reset"}), (HARICA, harica_form(organization_id="x"))):
        assert browser.submit(url, form).status_code == 403
    assert settings_rows(runtime) == {}
    assert setting_events(runtime) == []


@pytest.mark.parametrize("who", ["nk-itc", "idv", "erika"])
def test_other_roles_are_refused(browser, runtime, who):
    browser.login(who)
    token = browser.token("/certificates")
    for url, form in ((PERSONAL, profile_form(validity_days="365")),
                      (HARICA, harica_form(organization_id="x"))):
        assert browser.get(url).status_code == 403
        assert browser.client.post(url, data={"csrf_token": token, **form}).status_code == 403
    assert settings_rows(runtime) == {}


def test_post_without_csrf_token_is_refused(browser, runtime):
    browser.login("admin")
    response = browser.client.post(PERSONAL, data=profile_form(validity_days="365"))
    assert response.status_code == 400
    response = browser.client.post(HARICA, data=harica_form(organization_id="x"))
    assert response.status_code == 400
    assert settings_rows(runtime) == {}


def test_ca_connection_edit_is_used_by_the_connector_and_keeps_secrets_out(browser,
                                                                          runtime):
    old = connector_for(runtime, "harica")
    assert old.client.base_url == "https://cm.harica.gr"
    browser.login("admin")
    for url in ("/console/settings/", HARICA, SECTIGO):
        page = browser.get(url).get_data(as_text=True)
        assert API_KEY not in page and SECTIGO_SECRET not in page
    assert "RA_HARICA_API_KEY set" in browser.get(HARICA).get_data(as_text=True)
    assert "RA_SECTIGO_PASSWORD not set" in browser.get(SECTIGO).get_data(as_text=True)
    response = browser.submit(HARICA, harica_form(
        base_url="https://cm-stg.harica.gr", organization_id="org-42",
        harica_api_key="posted-key", api_key="posted-key"))
    assert response.status_code == 302
    new = connector_for(runtime, "harica")
    assert new is not old
    assert (new.client.base_url, new.config["harica.organization_id"]) == (
        "https://cm-stg.harica.gr", "org-42")
    assert new.client.session.headers["X-API-Key"] == API_KEY  # from the environment only
    assert connector_for(runtime, "harica") is new  # built once per change
    assert settings_rows(runtime) == {"ca:harica": {"base_url": "https://cm-stg.harica.gr",
                                                    "organization_id": "org-42"}}
    stored = repr(settings_rows(runtime)) + repr([e.data for e in setting_events(runtime)])
    assert "posted-key" not in stored and API_KEY not in stored
    overview = browser.get("/console/settings/").get_data(as_text=True)
    assert "Base URL: <code>https://cm-stg.harica.gr</code>" in overview and API_KEY not in overview
    browser.submit(HARICA, {"action": "reset"})
    assert connector_for(runtime, "harica").client.base_url == "https://cm.harica.gr"


def test_sectigo_edit(browser, runtime):
    browser.login("admin")
    response = browser.submit(SECTIGO, {
        "action": "save", "base_url": "https://cert-manager.com/customer/uni",
        "auth": "password", "token_url": "https://auth.sso.sectigo.com/token",
        "client_id": "", "login": "ra-admin", "customer_uri": "uni", "org_id": "7",
        "cert_types": "personal=101\r\nfunctional=102", "timeout_seconds": "20",
        "trust_anchors": ""})
    assert response.status_code == 302
    connector = connector_for(runtime, "sectigo")
    assert connector.config["sectigo.auth"] == "password"
    assert connector.config["sectigo.org_id"] == 7
    assert connector.config["sectigo.cert_types"] == ["personal=101", "functional=102"]
    assert connector.client.timeout == 20


@pytest.mark.parametrize("url, changes, field, message", [
    (HARICA, {"timeout_seconds": "0"}, "timeout_seconds",
     "Timeout (seconds): must be greater than 0"),
    (HARICA, {"timeout_seconds": "soon"}, "timeout_seconds",
     "Timeout (seconds): must be a whole number"),
    (HARICA, {"base_url": "ftp://cm.harica.gr"}, "base_url",
     "Base URL: must start with https://"),
    (HARICA, {"cert_types": "personal"}, "cert_types",
     "Certificate types: each line must read profile=CA type"),
    (HARICA, {"trust_anchors": "/nonexistent/roots.pem"}, "trust_anchors",
     "Trust anchors (PEM file): the file cannot be read"),
    (SECTIGO, {"auth": "basic"}, "auth", "Authentication: is not one of the choices"),
])
def test_invalid_ca_input_is_named_and_changes_nothing(browser, runtime, url, changes, field,
                                                       message):
    browser.login("admin")
    if url == SECTIGO:
        form = {"action": "save", "base_url": "https://admin.enterprise.sectigo.com",
                "token_url": "https://auth.sso.sectigo.com/t", "org_id": "0", "auth": "oauth2",
                "timeout_seconds": "30", **changes}
    else:
        form = harica_form(**changes)
    response = browser.submit(url, form)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="error-{field}">{message}' in page
    if field not in ("auth", "cert_types"):
        assert f'value="{changes[field]}"' in page
    assert settings_rows(runtime) == {}
    assert setting_events(runtime) == []


def test_another_process_sees_the_change_after_the_ttl(browser, runtime):
    """A second runtime on the same database (another gunicorn worker, the job runner)."""
    ticks = [1000.0]
    other = build_runtime({**runtime.config, "settings_cache_seconds": 10},
                          engine=runtime.engine)
    other.monotonic = lambda: ticks[0]
    assert other.profiles["personal"].validity_days == 730
    assert connector_for(other, "harica").client.base_url == "https://cm.harica.gr"
    browser.login("admin")
    browser.submit(PERSONAL, profile_form(validity_days="365", ca="harica"))
    browser.submit(HARICA, harica_form(base_url="https://cm-stg.harica.gr"))
    assert runtime.profiles["personal"].validity_days == 365  # the writer: at once
    ticks[0] += 9.9
    assert other.profiles["personal"].validity_days == 730
    assert connector_for(other, "harica").client.base_url == "https://cm.harica.gr"
    ticks[0] += 0.1
    assert other.profiles["personal"].validity_days == 365
    assert other.profile_cas["personal"] == "harica"
    assert connector_for(other, "harica").client.base_url == "https://cm-stg.harica.gr"


def test_profiles_cost_one_query_per_ttl(runtime):
    ticks = [0.0]
    runtime.config["settings_cache_seconds"] = 10
    runtime.monotonic = lambda: ticks[0]
    runtime.invalidate_settings()
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", count)
    for _ in range(100):
        assert runtime.profiles["personal"] and runtime.profile_cas["personal"]
        runtime.ca_config("harica")
        ticks[0] += 0.05
    assert len(statements) == 1, statements
    ticks[0] = 9.99
    assert runtime.profiles
    assert len(statements) == 1
    ticks[0] = 10.0
    assert runtime.profiles
    assert len(statements) == 2


def test_an_override_that_no_longer_fits_is_ignored(browser, runtime):
    """Stored overrides are checked again against the configuration in force (the site
    may have changed it since): one that fails is ignored and shown, never a crash."""
    with runtime.session() as s:
        s.add(Setting(key="profile:personal", value={"validity_days": 900}))
        s.add(Setting(key="ca:harica", value={"timeout_seconds": "soon"}))
        s.commit()
    runtime.invalidate_settings()
    assert runtime.profiles["personal"].validity_days == 730
    assert runtime.ca_config("harica")["harica.timeout_seconds"] == 30
    browser.login("admin")
    page = browser.get("/console/settings/").get_data(as_text=True)
    assert "no longer fits the configuration" in page and "validity_days" in page
