"""Rate limits and the network allow-list."""

from __future__ import annotations

import re
import uuid

import pytest
import redis
from sqlmodel import select
from support import missing

from ra_console.app import create_app
from ra_console.models import Institute, Mailbox
from ra_console.usecases.addresses import MailboxInput, add_mailbox
from ra_console.workflow.actor import SYSTEM


@pytest.fixture
def config_overrides():
    return {"limits.sign_in": "3/minute", "limits.redeem": "5/minute",
            "limits.challenge_per_user": "30/hour", "limits.challenge_per_row": "2/hour",
            "limits.revoke_by_key": "2/hour", "limits.problem_report": "2/hour"}


def new_rows(runtime, institute: str, count: int) -> list[int]:
    """`count` fresh address rows (state new) of an institute, for max."""
    domain = {"ITC": "itc", "PHYS": "physik"}[institute]
    with runtime.session() as s:
        where = s.exec(select(Institute).where(Institute.code == institute)).one()
        rows = [add_mailbox(s, SYSTEM, where, MailboxInput(
            primary=f"row{i}@{domain}.uni.example.org", username="max"), max_aliases=2)
            for i in range(count)]
        s.commit()
        return [row.id for row in rows]


def fire(browser, row_id: int, trigger: str) -> int:
    return browser.submit(f"/console/mailboxes/actions/{row_id}",
                          {"comment": "", "confirmed": "y"},
                          action=f"/console/mailboxes/fire/{row_id}/{trigger}").status_code


def statuses(runtime, ids) -> set[str]:
    with runtime.session() as s:
        return {s.get(Mailbox, i).status for i in ids}


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


def test_problem_reports_are_rate_limited_per_address(browser):
    """Anyone may report, so the form counts per client address; refused reports count too
    (a flood of bad ones is still a flood), a form without its token does not."""
    codes = [browser.submit("/pki/problem-report", {"serial": "zz", "email": "a@b.example"}
                            ).status_code for _ in range(3)]
    assert codes == [400, 400, 429]
    assert browser.client.post("/pki/problem-report", data={}).status_code == 400


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

    runtime.config["limits.challenge_per_row"] = "often"
    with pytest.raises(ConfigError, match="limits.challenge_per_row"):
        create_app(runtime=runtime)
    runtime.config["limits.challenge_per_row"] = ""
    runtime.config["auth.allowed_networks"] = ["10.0.0.0/33"]
    with pytest.raises(ConfigError, match="allowed_networks"):
        create_app(runtime=runtime)


def test_one_network_contact_does_not_block_another_behind_the_same_address(browser,
                                                                             runtime):
    """31 challenge sends by nk-itc: the 31st is refused for nk-itc only; nk-phys (same
    client address, as behind a NAT) still sends."""
    itc, phys = new_rows(runtime, "ITC", 31), new_rows(runtime, "PHYS", 1)
    browser.login("nk-itc")
    codes = [fire(browser, row_id, "send_challenge") for row_id in itc]
    assert codes == [302] * 30 + [429]
    assert statuses(runtime, itc[:30]) == {"pending_challenge"}
    assert statuses(runtime, itc[30:]) == {"new"}
    browser.logout()
    browser.login("nk-phys")
    assert fire(browser, phys[0], "send_challenge") == 302
    assert statuses(runtime, phys) == {"pending_challenge"}


def test_deactivating_31_rows_is_not_limited(browser, runtime):
    rows = new_rows(runtime, "ITC", 31)
    browser.login("nk-itc")
    assert [fire(browser, row_id, "deactivate") for row_id in rows] == [302] * 31
    assert statuses(runtime, rows) == {"deactivated"}


def test_refused_attempts_do_not_count(browser, runtime):
    browser.login("erika")
    for _ in range(5):  # refused before the operation (no CSRF token): not an attempt
        assert browser.client.post("/redeem/guess").status_code == 400
    codes = [browser.submit(f"/redeem/guess{i}").status_code for i in range(6)]
    assert codes == [400] * 5 + [429]
    browser.logout()
    row = new_rows(runtime, "ITC", 1)[0]
    browser.login("nk-itc")
    for _ in range(3):  # not possible in state "new": refused, nothing sent, not counted
        fire(browser, row, "resend")
    assert statuses(runtime, [row]) == {"new"}
    assert [fire(browser, row, t) for t in ("send_challenge", "resend")] == [302, 302]


def test_the_limit_per_row_holds_for_everyone(browser, runtime):
    row = new_rows(runtime, "ITC", 1)[0]
    browser.login("nk-itc")
    assert [fire(browser, row, t) for t in ("send_challenge", "resend", "resend")] == [
        302, 302, 429]
    browser.logout()
    browser.login("admin")  # another person, the same row: still refused
    assert fire(browser, row, "resend") == 429


def test_revocation_by_key_is_rate_limited(app):
    client = app.test_client()
    page = client.get("/pki/revoke").get_data(as_text=True)
    data = {"csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1),
            "challenge": re.search(r'name="challenge" value="([^"]+)"', page).group(1),
            "signature": "AAAA", "spki_sha256": "ab" * 32}
    codes = [client.post("/pki/revoke", data=data).status_code for _ in range(3)]
    assert codes == [400, 400, 429]
