"""The Apache and nginx configurations of deploy/, run by the real servers.

No client-sent identity header reaches the app (one test per header the app reads, taken
from the auth.header_* keys, so a new key is covered at once), the network restriction
holds while /pki/, /static/ and /healthz stay public, and the app behind the proxy
(auth.proxy_hops = 1) sees the real client."""

from __future__ import annotations

import json
import re
import tomllib
from urllib.parse import urlencode

import pytest
from proxies import ALLOWED, IDENTITY, OUTSIDE, HTTPThread, echo_backend, request, start_proxy
from sqlmodel import select

from ra_console.app import create_app
from ra_console.core.config import DEFAULTS_FILE, _flatten, identity_header_keys
from ra_console.models import AuditEvent, Person, RoleAssignment

SECRET = "test-proxy-secret-3f9a"
NEIGHBOUR = "127.0.0.4"  # another allowed client
SPOOF = "spoofed-by-client"
DEFAULTS = _flatten(tomllib.loads(DEFAULTS_FILE.read_text(encoding="utf-8")))
HEADERS = [DEFAULTS[key] for key in identity_header_keys(DEFAULTS)]
SPELLINGS = [name for header in HEADERS for name in (header, header.replace("-", "_"))]
KINDS = ["apache", "nginx"]


@pytest.fixture(scope="module", params=KINDS)
def echo_proxy(request):
    """A proxy in front of a backend that answers with the headers it received."""
    backend = echo_backend()
    proxy = start_proxy(request.param, backend.port, SECRET)
    yield proxy
    proxy.stop()
    backend.stop()


def seen_by_backend(proxy, headers: dict, source: str = ALLOWED) -> list[tuple[str, str]]:
    status, _, body = request(proxy.port, "/certificates", headers, source)
    assert status == 200, body[:500]
    return [tuple(pair) for pair in json.loads(body)]


def test_the_app_reads_these_headers():
    assert {"X-Remote-User", "X-Remote-Entitlement", "X-RA-Proxy-Secret"} <= set(HEADERS)


@pytest.mark.parametrize("name", SPELLINGS)
def test_client_sent_identity_header_never_reaches_the_app(echo_proxy, name):
    seen = seen_by_backend(echo_proxy, {name: SPOOF})
    assert [pair for pair in seen if SPOOF in pair[1]] == []
    canonical = name.replace("_", "-").lower()
    asserted = {k.lower(): v for k, v in IDENTITY.items()} | {"x-ra-proxy-secret": SECRET}
    values = [value for header, value in seen if header.replace("_", "-").lower() == canonical]
    assert values in ([], [asserted.get(canonical)])  # absent, or the proxy's own value


def test_proxy_sends_its_secret_and_the_sso_identity(echo_proxy):
    seen = {k.lower(): v for k, v in seen_by_backend(echo_proxy, {})}
    assert seen["x-ra-proxy-secret"] == SECRET
    assert seen["x-remote-user"] == IDENTITY["X-Remote-User"]
    assert "x-remote-entitlement" not in seen  # the SSO released none


def test_proxy_appends_the_real_client_to_x_forwarded_for(echo_proxy):
    seen = dict((k.lower(), v) for k, v in seen_by_backend(
        echo_proxy, {"X-Forwarded-For": "10.6.6.6"}))
    # proxy_hops = 1 takes the last entry: the one the proxy appended
    assert seen["x-forwarded-for"].replace(" ", "").split(",")[-1] == ALLOWED


@pytest.mark.parametrize("path", ["/certificates", "/console/", "/login", "/healthzz"])
def test_network_restriction_blocks_the_portal(echo_proxy, path):
    assert request(echo_proxy.port, path, source=OUTSIDE)[0] == 403
    assert request(echo_proxy.port, path, source=ALLOWED)[0] == 200


@pytest.mark.parametrize("path", ["/pki/ra-issuing.crl", "/static/style.css", "/healthz",
                                  "/healthz/ready"])
def test_public_paths_stay_public(echo_proxy, path):
    status, _, body = request(echo_proxy.port, path, {"X-Remote-User": SPOOF}, OUTSIDE)
    assert status == 200 and SPOOF.encode() not in body


@pytest.fixture
def config_overrides():
    return {"auth.mode": "header", "demo": False, "auth.trusted_proxies": ["127.0.0.1"],
            "auth.proxy_hops": 1, "auth.proxy_secret": SECRET,
            "auth.role_map": ["urn:ra:admin=ra_admin"], "limits.revoke_by_key": "2/minute",
            "auth.allowed_networks": [f"{ALLOWED}/32", f"{NEIGHBOUR}/32"]}


@pytest.fixture(params=KINDS)
def app_proxy(request, runtime):
    """The real app (werkzeug on loopback) behind the proxy; the proxy lets every loopback
    client through, so the app's own allowed_networks decides."""
    backend = HTTPThread(wsgi_app=create_app(runtime=runtime))
    proxy = start_proxy(request.param, backend.port, SECRET, networks=["127.0.0.0/8"])
    yield proxy
    proxy.stop()
    backend.stop()


def test_behind_the_proxy_only_the_sso_identity_signs_in(app_proxy, runtime):
    spoofed = {"X-Remote-User": "admin", "X-Remote-Entitlement": "urn:ra:admin",
               "X_Remote_Entitlement": "urn:ra:admin", "X-Forwarded-For": "10.6.6.6",
               "Accept-Language": "en"}
    status, _, body = request(app_proxy.port, "/certificates", spoofed, ALLOWED)
    assert status == 200 and b"Jane Doe" in body
    with runtime.session() as s:
        assert [p.username for p in s.exec(select(Person))] == ["jdoe@uni.example.org"]
        assert s.exec(select(RoleAssignment)).all() == []
        login = s.exec(select(AuditEvent).where(AuditEvent.trigger == "login")).one()
        assert login.ip == ALLOWED  # the real client, not the proxy, not the forged entry


def test_rate_limits_count_each_real_client_behind_the_proxy(app_proxy):
    """Revocation by key is limited per client address (nobody is signed in there): behind
    the proxy each real client has its own budget, not the proxy's."""
    def attempt(source):
        status, headers, body = request(app_proxy.port, "/pki/revoke",
                                        {"Accept-Language": "en"}, source)
        assert status == 200, body[:300]
        page = body.decode()
        form = urlencode({
            "csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1),
            "challenge": re.search(r'name="challenge" value="([^"]+)"', page).group(1),
            "signature": "AAAA", "spki_sha256": "ab" * 32})
        return request(app_proxy.port, "/pki/revoke", {
            "Cookie": headers.get("Set-Cookie", "").split(";")[0], "Accept-Language": "en",
            "Content-Type": "application/x-www-form-urlencoded"}, source, method="POST",
            body=form.encode())[0]

    assert [attempt(ALLOWED) for _ in range(3)] == [400, 400, 429]
    assert attempt(NEIGHBOUR) == 400  # not the proxy's bucket: its own


def test_app_behind_the_proxy_applies_its_networks_to_the_real_client(app_proxy):
    assert request(app_proxy.port, "/certificates", source=OUTSIDE)[0] == 403
    assert request(app_proxy.port, "/healthz", source=OUTSIDE)[0] == 200
    assert request(app_proxy.port, "/pki/ra-issuing.crl", source=OUTSIDE)[0] == 200
