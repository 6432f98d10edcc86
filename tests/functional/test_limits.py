"""Rate limits and the network allow-list."""

from __future__ import annotations

import re
import uuid

import pytest
import redis
from support import missing

from ra_console.app import create_app


@pytest.fixture
def config_overrides():
    return {"limits.sign_in": "3/minute", "limits.redeem": "5/minute",
            "limits.revoke_by_key": "2/hour"}


def token_of(client) -> str:
    page = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_sign_in_is_rate_limited(app):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    token = token_of(client)
    codes = [client.post("/login/dev", data={"csrf_token": token, "username": "nobody"}
                         ).status_code for _ in range(5)]
    assert codes == [302, 302, 302, 429, 429]
    refused = client.post("/login/dev", data={"csrf_token": token, "username": "x"})
    assert "Too many attempts" in refused.get_data(as_text=True)
    other = client.post("/login/dev", data={"csrf_token": token, "username": "x"},
                        environ_base={"REMOTE_ADDR": "192.0.2.99"})
    assert other.status_code == 302  # counted per client address


def test_redeem_guessing_is_rate_limited(browser):
    browser.login("erika")
    codes = [browser.submit(f"/redeem/guess{i}").status_code for i in range(7)]
    assert codes == [400] * 5 + [429] * 2


def test_counters_are_shared_through_redis(runtime):
    client = redis.Redis(host="127.0.0.1", port=6379, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError:
        missing("Redis at 127.0.0.1:6379")
    finally:
        client.close()
    prefix = uuid.uuid4().hex[:8]
    runtime.config["limits.storage_url"] = "redis://127.0.0.1:6379/0"
    runtime.config["limits.sign_in"] = "4/minute"
    first, second = create_app(runtime=runtime).test_client(), create_app(
        runtime=runtime).test_client()
    # a fresh client address per run: counters of earlier runs never interfere
    address = {"REMOTE_ADDR": f"2001:db8::{prefix[:4]}:{prefix[4:]}"}
    codes = []
    for client in (first, second, first, second, first):
        token = token_of(client)
        codes.append(client.post("/login/dev", data={"csrf_token": token, "username": "n"},
                                 environ_base=address).status_code)
    assert codes == [302, 302, 302, 302, 429]


def test_allowed_networks(runtime):
    runtime.config["auth.allowed_networks"] = ["10.0.0.0/8", "127.0.0.0/8"]
    client = create_app(runtime=runtime).test_client()
    assert client.get("/login", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    outside = client.get("/login", environ_base={"REMOTE_ADDR": "203.0.113.5"})
    assert outside.status_code == 403
    assert client.get("/pki/ra-issuing.crl",
                      environ_base={"REMOTE_ADDR": "203.0.113.5"}).status_code == 200
    # revocation by key possession: also for someone who has left the organisation
    assert client.get("/pki/revoke",
                      environ_base={"REMOTE_ADDR": "203.0.113.5"}).status_code == 200


def test_bad_limit_settings_stop_start_up(runtime):
    from ra_console.core.config import ConfigError

    runtime.config["limits.redeem"] = "often"
    with pytest.raises(ConfigError, match="limits.redeem"):
        create_app(runtime=runtime)
    runtime.config["limits.redeem"] = ""
    runtime.config["auth.allowed_networks"] = ["10.0.0.0/33"]
    with pytest.raises(ConfigError, match="allowed_networks"):
        create_app(runtime=runtime)


def test_revocation_by_key_is_rate_limited(app):
    client = app.test_client()
    page = client.get("/pki/revoke").get_data(as_text=True)
    data = {"csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1),
            "challenge": re.search(r'name="challenge" value="([^"]+)"', page).group(1),
            "signature": "AAAA", "spki_sha256": "ab" * 32}
    codes = [client.post("/pki/revoke", data=data).status_code for _ in range(3)]
    assert codes == [400, 400, 429]
