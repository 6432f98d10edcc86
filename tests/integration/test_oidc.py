"""OpenID Connect sign-in against a real OpenID provider: the certified `oidc-provider` package
on Node (tests/oidc/provider.js), started by these tests on a free loopback port.

The app is served on a loopback port in a thread; a `requests.Session` plays the browser:
it follows the redirects between the app and the provider and submits the provider's own
sign-in and consent forms. Under CI (CI=true or RA_REQUIRE_ALL=1) a missing node or npm
fails these tests; locally they skip.
"""

from __future__ import annotations

import html
import json
import re
import select
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from sqlmodel import select as sql_select
from support import missing

from ra_console.app import create_app
from ra_console.models import AuditEvent, Institute, Mailbox, MailboxAddress, Person, RoleAssignment

OIDC_DIR = Path(__file__).resolve().parents[1] / "oidc"
CLIENT_ID = "ra-console"
CLIENT_SECRET = "test-client-secret-0123456789"
SCOPES = ["openid", "profile", "email", "eduperson_scoped_affiliation", "eduperson_entitlement"]
ROLE_MAP = ["urn:mace:uni.example.org:ra-admin=ra_admin",
            "urn:mace:uni.example.org:nk:itc=network_contact:ITC"]
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
FORM_RE = re.compile(r'<form[^>]*action="([^"]+)"', re.IGNORECASE)


# --- the real OpenID provider -------------------------------------------------------------


@dataclass
class Provider:
    issuer: str
    process: subprocess.Popen
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()


@pytest.fixture(scope="session")
def node() -> str:
    """node, with tests/oidc's packages installed (npm ci from the committed lock file)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        missing("node and npm (for the OpenID provider in tests/oidc)")
    if not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--prefix", str(OIDC_DIR)],
                              capture_output=True, text=True, check=False, timeout=300)
        if done.returncode != 0:
            missing(f"npm ci in tests/oidc ({done.stderr.strip()[-500:]})")
    return node


def start_provider(node: str, log: Path, app_base: str) -> Provider:
    """oidc-provider with our client (redirect URIs of the app at app_base) on a free port."""
    # It starts in about 0.5 s; once in a CI run it printed nothing for 30 s (its log held
    # only the import-time warning), so a second process gets a second chance.
    for attempt in (1, 2):
        output = log.open("a")
        output.write(f"--- attempt {attempt}\n")
        output.flush()
        process = subprocess.Popen(
            [node, "provider.js", "--port", "0", "--client-id", CLIENT_ID,
             "--client-secret", CLIENT_SECRET,
             "--redirect-uri", f"{app_base}/login/oidc/callback",
             "--post-logout-redirect-uri", f"{app_base}/login"],
            cwd=OIDC_DIR, stdout=subprocess.PIPE, stderr=output, text=True)
        output.close()
        ready, _, _ = select.select([process.stdout], [], [], 30)
        line = process.stdout.readline() if ready else ""
        if line:
            break
        process.kill()
        process.wait()
        process.stdout.close()
    else:
        pytest.fail(f"the OpenID provider did not start:\n{log.read_text()}")
    provider = Provider(issuer=json.loads(line)["issuer"], process=process, log=log)
    deadline = time.monotonic() + 15
    while True:  # ready when discovery answers
        try:
            if requests.get(provider.issuer + "/.well-known/openid-configuration",
                            timeout=2).status_code == 200:
                return provider
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            provider.stop()
            pytest.fail(f"no discovery document from the OpenID provider:\n{log.read_text()}")
        time.sleep(0.05)


class SwitchableApp:
    """The WSGI app behind the one server of the test session; each test plugs its own in."""

    def __init__(self):
        self.app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@pytest.fixture(scope="session")
def app_server():
    """One server on a free port of 127.0.0.1 for the session (the provider knows its
    redirect URIs), serving whichever app the current test plugs in."""
    from werkzeug.serving import make_server

    holder = SwitchableApp()
    server = make_server("127.0.0.1", 0, holder, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield holder, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    server.server_close()


@pytest.fixture(scope="session")
def provider(node, app_server, tmp_path_factory):
    provider = start_provider(node, tmp_path_factory.mktemp("oidc") / "provider.log",
                              app_server[1])
    yield provider
    provider.stop()


def oidc_config(issuer: str, base: str) -> dict:
    return {"auth.mode": "oidc", "demo": False, "public_base_url": base,
            "auth.oidc_issuer": issuer, "auth.oidc_client_id": CLIENT_ID,
            "auth.oidc_client_secret": CLIENT_SECRET, "auth.oidc_scopes": SCOPES,
            "auth.role_map": ROLE_MAP}


@pytest.fixture
def config_overrides(provider, app_server):
    return oidc_config(provider.issuer, app_server[1])


@pytest.fixture
def portal(app, app_server):
    """The test's app, reachable at the returned base URL."""
    holder, base = app_server
    holder.app = app
    yield base
    holder.app = None


@pytest.fixture
def http():
    """The browser: cookies, redirects, English."""
    with requests.Session() as session:
        session.headers["Accept-Language"] = "en"
        yield session


# --- driving the browser ------------------------------------------------------------------


def csrf(http: requests.Session, url: str) -> str:
    return CSRF_RE.search(http.get(url).text).group(1)


def form_action(page: requests.Response) -> str:
    return urljoin(page.url, html.unescape(FORM_RE.search(page.text).group(1)))


def start_sign_in(http: requests.Session, base: str, next_path: str = "/certificates"):
    """Click the sign-in button; return the app's redirect to the provider."""
    return http.post(f"{base}/login/oidc", allow_redirects=False,
                     data={"csrf_token": csrf(http, f"{base}/login"), "next": next_path})


def at_provider(http: requests.Session, authorization_url: str, login: str = "jdoe") -> str:
    """Sign in and consent at the provider; return its redirect back to the app (not
    followed)."""
    page = http.get(authorization_url)
    assert 'name="login"' in page.text, page.text[:500]
    page = http.post(form_action(page), data={"prompt": "login", "login": login,
                                              "password": "any"})
    assert 'value="consent"' in page.text, page.text[:500]
    response = http.post(form_action(page), data={"prompt": "consent"}, allow_redirects=False)
    for _hop in range(5):  # the provider resumes the authorization, then sends the browser back
        location = urljoin(response.url, response.headers.get("Location", ""))
        if not response.is_redirect or "/login/oidc/callback" in location:
            break
        response = http.get(location, allow_redirects=False)
    assert "/login/oidc/callback" in location, (response.status_code, response.text[:300])
    return location


def sign_in(http: requests.Session, base: str) -> tuple[requests.Response, str]:
    """The whole flow; return (the page the browser lands on, the callback URL)."""
    started = start_sign_in(http, base)
    callback = at_provider(http, started.headers["Location"])
    return http.get(callback), callback


def session_of(app, http: requests.Session) -> dict:
    """The app's session as the server reads it from the browser's cookie."""
    cookie = http.cookies.get("session", domain="127.0.0.1")
    return dict(app.session_interface.get_signing_serializer(app).loads(cookie))


def failures(runtime) -> list[dict]:
    with runtime.session() as s:
        return [{k: v for k, v in e.data.items() if k != "request_id"}  # every event has one
                for e in s.exec(sql_select(AuditEvent).where(
                    AuditEvent.trigger == "login_failed")).all()]


def signed_in(http: requests.Session, base: str) -> bool:
    response = http.get(f"{base}/certificates", allow_redirects=False)
    return response.status_code == 200


# --- the tests ----------------------------------------------------------------------------


def test_sign_in_with_pkce_maps_claims_and_rotates_the_session(portal, http, app, runtime):
    started = start_sign_in(http, portal)
    authorization = urlsplit(started.headers["Location"])
    params = {k: v[0] for k, v in parse_qs(authorization.query).items()}
    assert authorization.path == "/auth" and params["response_type"] == "code"
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert params["state"] and params["nonce"] and params["client_id"] == CLIENT_ID
    assert params["redirect_uri"] == f"{portal}/login/oidc/callback"
    assert set(params["scope"].split()) == set(SCOPES)
    before = session_of(app, http)
    assert f"_state_oidc_{params['state']}" in before and "person_id" not in before
    old_cookie = http.cookies.get("session", domain="127.0.0.1")

    callback = at_provider(http, started.headers["Location"])
    query = parse_qs(urlsplit(callback).query)
    assert query["state"] == [params["state"]] and query["iss"] and query["code"]
    page = http.get(callback)
    assert page.status_code == 200 and page.url == f"{portal}/certificates"
    assert "Jane Doe" in page.text

    after = session_of(app, http)  # a fresh session: nothing from before the sign-in
    assert set(after) <= {"person_id", "generation", "login_at", "seen_at", "lang",
                          "oidc_id_token", "_flashes", "csrf_token", "_permanent"}
    assert not any(key.startswith("_state_") for key in after)
    stranger = requests.Session()  # the cookie from before the sign-in is worth nothing
    stranger.cookies.set("session", old_cookie, domain="127.0.0.1")
    assert not signed_in(stranger, portal)

    with runtime.session() as s:
        person = s.exec(sql_select(Person).where(Person.username == "jdoe@uni.example.org")).one()
        assert (person.given_name, person.surname) == ("Jane", "Doe")
        assert person.affiliations == "employee member"  # scope cut off
        rows = s.exec(sql_select(Mailbox, MailboxAddress).join(
            MailboxAddress, MailboxAddress.mailbox_id == Mailbox.id).where(
            Mailbox.owner_id == person.id)).all()
        assert [(m.status, m.source, a.address, a.display) for m, a in rows] == [
            ("verified", "idm", "jane.doe@uni.example.org", "Jane.Doe@uni.example.org")]
        itc = s.exec(sql_select(Institute).where(Institute.code == "ITC")).one()
        roles = {(r.role, r.institute_id, r.source) for r in s.exec(sql_select(
            RoleAssignment).where(RoleAssignment.person_id == person.id)).all()}
        assert roles == {("ra_admin", None, "sso"), ("network_contact", itc.id, "sso")}
        login = s.exec(sql_select(AuditEvent).where(AuditEvent.trigger == "login")).one()
        assert login.actor == "jdoe@uni.example.org" and login.ip == "127.0.0.1"
    assert failures(runtime) == []


@pytest.mark.parametrize("target", ["/\t/evil.example", "/\n/evil.example", "\\\\evil.example"])
def test_next_after_oidc_sign_in_stays_local(portal, http, target):
    """Pen-test findings 1 and 2: the OIDC start keeps `next` by the same rule."""
    started = start_sign_in(http, portal, next_path=target)
    assert started.status_code == 302
    landed = http.get(at_provider(http, started.headers["Location"]), allow_redirects=False)
    assert landed.status_code == 302 and landed.headers["Location"] == "/"


def test_logout_ends_the_provider_session_too(portal, http, provider):
    sign_in(http, portal)
    token = csrf(http, f"{portal}/certificates")
    response = http.post(f"{portal}/logout", data={"csrf_token": token}, allow_redirects=False)
    assert response.status_code == 302
    metadata = requests.get(provider.issuer + "/.well-known/openid-configuration").json()
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == metadata[
        "end_session_endpoint"]
    params = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert params["post_logout_redirect_uri"] == f"{portal}/login"
    assert params["client_id"] == CLIENT_ID and params["id_token_hint"].count(".") == 2
    assert not signed_in(http, portal)  # the portal session ended before the redirect

    confirm = http.get(response.headers["Location"])  # the provider asks; yes, sign me out
    form = re.search(r'<form[^>]*id="op.logoutForm"[^>]*>.*?</form>', confirm.text, re.S).group(0)
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form))
    back = http.post(form_action(confirm), data={**fields, "logout": "yes"})
    assert back.url.startswith(f"{portal}/login") and "You are signed out." in back.text

    # The provider forgot the person: a new sign-in asks for the login again.
    started = start_sign_in(http, portal)
    assert 'name="login"' in http.get(started.headers["Location"]).text


def test_tampered_state_is_refused(portal, http, runtime):
    started = start_sign_in(http, portal)
    callback = at_provider(http, started.headers["Location"])
    state = parse_qs(urlsplit(callback).query)["state"][0]
    page = http.get(callback.replace(f"state={state}", "state=forged" + state[6:]))
    assert page.status_code == 400
    assert "expired or was started in another window" in page.text
    assert 'id="oidc-sign-in"' in page.text  # with the button to try again
    assert not signed_in(http, portal)
    assert [f["reason"] for f in failures(runtime)] == ["state_mismatch"]


def test_replayed_callback_is_refused(portal, http, runtime):
    started = start_sign_in(http, portal)
    cookie_before = http.cookies.get("session", domain="127.0.0.1")
    callback = at_provider(http, started.headers["Location"])
    assert http.get(callback).url == f"{portal}/certificates"

    # the same answer again in the signed-in browser: its state is used up
    assert http.get(callback).status_code == 400
    # an attacker with the browser's session from before the sign-in: the code is used up
    attacker = requests.Session()
    attacker.headers["Accept-Language"] = "en"
    attacker.cookies.set("session", cookie_before, domain="127.0.0.1")
    page = attacker.get(callback)
    assert page.status_code == 400 and "could not be verified" in page.text
    assert not signed_in(attacker, portal)
    reasons = [f["reason"] for f in failures(runtime)]
    assert reasons == ["state_mismatch", "bad_token"]
    assert "invalid_grant" in failures(runtime)[1]["detail"]


def test_forged_code_is_refused(portal, http, runtime):
    started = start_sign_in(http, portal)
    state = parse_qs(urlsplit(started.headers["Location"]).query)["state"][0]
    page = http.get(f"{portal}/login/oidc/callback", params={"code": "forged-code",
                                                             "state": state})
    assert page.status_code == 400 and not signed_in(http, portal)
    assert [f["reason"] for f in failures(runtime)] == ["bad_token"]


def test_id_token_of_another_sign_in_is_refused(portal, http, app, runtime):
    """The code and PKCE verifier match, but the ID token's nonce belongs to a different
    sign-in attempt: the token is refused (as an injected token would be)."""
    first = start_sign_in(http, portal)
    second = start_sign_in(http, portal)
    callback = at_provider(http, second.headers["Location"])
    states = [parse_qs(urlsplit(r.headers["Location"]).query)["state"][0]
              for r in (first, second)]
    data = session_of(app, http)
    keys = [f"_state_oidc_{state}" for state in states]
    data[keys[1]]["data"]["nonce"] = data[keys[0]]["data"]["nonce"]
    forged = app.session_interface.get_signing_serializer(app).dumps(data)
    http.cookies.set("session", forged, domain="127.0.0.1")
    page = http.get(callback)
    assert page.status_code == 400 and "could not be verified" in page.text
    assert not signed_in(http, portal)
    [failure] = failures(runtime)
    assert failure["reason"] == "bad_token" and "nonce" in failure["detail"]


def test_refused_consent_is_a_clear_page(portal, http, runtime):
    started = start_sign_in(http, portal)
    page = http.get(started.headers["Location"])
    uid = re.search(r"/interaction/([^/\"]+)", page.url).group(1)
    page = http.get(urljoin(page.url, f"/interaction/{uid}/abort"))  # "cancel" at the IdP
    assert page.status_code == 403 and page.url.startswith(f"{portal}/login/oidc/callback")
    assert "cancelled or refused" in page.text and not signed_in(http, portal)
    assert failures(runtime) == [{"mode": "oidc", "reason": "denied", "detail": "access_denied"}]


def test_missing_username_claim(portal, http, app, runtime):
    runtime.config["auth.oidc_claim_username"] = ["eduperson_principal_name"]  # not released
    page, _ = sign_in(http, portal)
    assert page.status_code == 403 and "did not send a user name" in page.text
    with runtime.session() as s:
        assert s.exec(sql_select(Person).where(Person.username.like("jdoe%"))).all() == []
    assert [f["reason"] for f in failures(runtime)] == ["no_username"]


def test_error_page_in_german(portal, http):
    http.headers["Accept-Language"] = "de"
    started = start_sign_in(http, portal)
    callback = at_provider(http, started.headers["Location"])
    page = http.get(callback.replace("state=", "state=x"))
    assert page.status_code == 400
    assert "Anmeldung" in page.text and 'lang="de"' in page.text
    assert "expired or was started" not in page.text


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_provider_unreachable(app_server, http, runtime):
    holder, base = app_server
    runtime.config["auth.oidc_issuer"] = f"http://127.0.0.1:{free_port()}"  # nobody there
    holder.app = create_app(runtime=runtime)
    try:
        response = start_sign_in(http, base)
    finally:
        holder.app = None
    assert response.status_code == 502
    assert "cannot be reached at the moment" in response.text
    assert [f["reason"] for f in failures(runtime)] == ["provider_unreachable"]


def test_discovery_must_name_the_configured_issuer(app_server, http, runtime, provider):
    holder, base = app_server
    port = urlsplit(provider.issuer).port
    runtime.config["auth.oidc_issuer"] = f"http://localhost:{port}"  # not the provider's name
    holder.app = create_app(runtime=runtime)
    try:
        response = start_sign_in(http, base)
    finally:
        holder.app = None
    assert response.status_code == 502 and "reported an error" in response.text
    [failure] = failures(runtime)
    assert failure["reason"] == "provider_error" and provider.issuer in failure["detail"]


def test_provider_down_before_the_code_is_exchanged(node, app_server, http, runtime,
                                                    tmp_path):
    holder, base = app_server
    own = start_provider(node, tmp_path / "provider.log", base)
    try:
        runtime.config.update(oidc_config(own.issuer, base))
        holder.app = create_app(runtime=runtime)
        started = start_sign_in(http, base)
        callback = at_provider(http, started.headers["Location"])
        own.stop()  # gone while the browser comes back with the code
        page = http.get(callback)
        assert page.status_code == 502 and "cannot be reached" in page.text
        assert not signed_in(http, base)
    finally:
        own.stop()
        holder.app = None
    assert [f["reason"] for f in failures(runtime)] == ["provider_unreachable"]


def test_oidc_routes_exist_only_in_oidc_mode(runtime):
    runtime.config["auth.mode"] = "header"
    client = create_app(runtime=runtime).test_client()
    assert client.get("/login/oidc/callback?code=x&state=y").status_code == 404
    assert "oidc-sign-in" not in client.get("/login").get_data(as_text=True)


# --- claims and configuration (no provider needed) ----------------------------------------


def claims_config(**changes) -> dict:
    from ra_console.core.config import load_config

    return load_config(environ={}, overrides={"instance_path": "/nonexistent",
                                              "secret_key": "x", **changes})


def test_claims_are_mapped_like_the_header_attributes():
    from ra_console.signin.oidc import identity_from_claims

    config = claims_config()
    identity = identity_from_claims({
        "sub": "a1b2", "preferred_username": " jdoe@uni.example.org ", "given_name": "Jane",
        "family_name": "Doe", "email": "Jane.Doe@uni.example.org",
        "eduperson_affiliation": ["member"],
        "eduperson_scoped_affiliation": ["Employee@uni.example.org", "member@uni.example.org"],
        "eduperson_entitlement": ["urn:x:a"], "groups": "ra-admins",
    }, config)
    assert identity.username == "jdoe@uni.example.org"
    assert (identity.given_name, identity.surname) == ("Jane", "Doe")
    assert identity.emails == ("Jane.Doe@uni.example.org",)
    assert identity.affiliations == ("member", "employee")
    assert identity.groups == ("urn:x:a", "ra-admins")
    # no preferred_username: the subject; an unverified address is not taken
    identity = identity_from_claims({"sub": "a1b2", "email": "x@uni.example.org",
                                     "email_verified": False}, config)
    assert identity.username == "a1b2" and identity.emails == ()
    assert identity_from_claims({"sub": ""}, config) is None


@pytest.mark.parametrize("username", ["x" * 201, "x" * 5000, "<b>jdoe</b>", "j doe",
                                      "jdoe\x00", "-jdoe"])
def test_a_user_name_no_idm_issues_is_refused(username):
    from ra_console.signin.oidc import SignInFailed, identity_from_claims

    with pytest.raises(SignInFailed) as refused:
        identity_from_claims({"preferred_username": username}, {
            **claims_config(), "auth.oidc_claim_username": ["preferred_username"]})
    assert refused.value.reason == "bad_username" and refused.value.status == 403


@pytest.mark.parametrize("changes, problem", [
    ({"auth.oidc_issuer": ""}, "auth.oidc_issuer"),
    ({"auth.oidc_issuer": "http://idp.uni.example.org"}, "auth.oidc_issuer"),
    ({"auth.oidc_issuer": "https://idp.uni.example.org/?x=1"}, "auth.oidc_issuer"),
    ({"auth.oidc_client_id": ""}, "auth.oidc_client_id"),
    ({"auth.oidc_scopes": ["profile"]}, "auth.oidc_scopes"),
    ({"auth.oidc_claim_username": []}, "auth.oidc_claim_username"),
    ({"auth.oidc_post_logout_redirect_uri": "/login"}, "auth.oidc_post_logout_redirect_uri"),
])
def test_oidc_configuration_is_checked(changes, problem):
    from ra_console.core.config import ConfigError

    good = {"auth.mode": "oidc", "auth.oidc_issuer": "https://idp.uni.example.org/realms/x",
            "auth.oidc_client_id": "ra"}
    claims_config(**good)
    claims_config(**{**good, "auth.oidc_issuer": "http://127.0.0.1:8080"})
    with pytest.raises(ConfigError, match=problem):
        claims_config(**{**good, **changes})


def test_client_secret_only_from_the_environment(tmp_path):
    from ra_console.core.config import ConfigError, load_config

    site = tmp_path / "site.toml"
    site.write_text('[auth]\noidc_client_secret = "s3cret"\n')
    with pytest.raises(ConfigError, match="RA_OIDC_CLIENT_SECRET"):
        load_config(environ={"RA_CONFIG": str(site)}, overrides={"secret_key": "x"})
    config = load_config(environ={"RA_OIDC_CLIENT_SECRET": "s3cret"},
                         overrides={"secret_key": "x"})
    assert config["auth.oidc_client_secret"] == "s3cret"
