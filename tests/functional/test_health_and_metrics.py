"""/healthz/live and /healthz/ready (database, migrations, job runner, CRL) and /metrics,
public, without sign-in, against real databases and the local CA's files."""

from __future__ import annotations

import json

import pytest
from alembic import command
from sqlmodel import select

from ra_console.adapters.heartbeat import beat, forget
from ra_console.adapters.migrate import alembic_config
from ra_console.app import create_app
from ra_console.models import Certificate


@pytest.fixture
def config_overrides():
    return {"auth.allowed_networks": ["10.0.0.0/8"]}  # health stays open to everyone


@pytest.fixture
def client(seeded):
    return create_app(runtime=seeded).test_client()


def ready(client, remote="203.0.113.9"):
    response = client.get("/healthz/ready", environ_base={"REMOTE_ADDR": remote})
    return response.status_code, json.loads(response.get_data(as_text=True))


def test_live_answers_from_anywhere(client):
    for path in ("/healthz", "/healthz/live"):
        response = client.get(path, environ_base={"REMOTE_ADDR": "203.0.113.9"})
        assert (response.status_code, response.get_data(as_text=True)) == (200, "ok\n")


def test_ready_when_everything_is_fine(client, seeded):
    beat(seeded, "host:1", leader=True)
    status, body = ready(client)
    assert status == 200 and body["status"] == "ok"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True, "migrations": True, "runner": True, "crl": True}


def test_not_ready_without_a_runner(client, seeded, clock):
    status, body = ready(client)
    assert status == 503 and body["checks"]["runner"]["ok"] is False
    beat(seeded, "host:1", leader=True)
    clock.advance(seconds=301)  # health.runner_silent_seconds = 300
    status, body = ready(client)
    assert status == 503 and "301 s ago" in body["checks"]["runner"]["detail"]
    beat(seeded, "host:2", leader=False)  # a standby's heartbeat counts too
    assert ready(client)[0] == 200
    forget(seeded, "host:2")
    assert ready(client)[0] == 503


def test_not_ready_when_the_crl_is_about_to_expire(client, seeded, clock):
    clock.advance(days=6)  # the CRL is valid for 7 days; 48 hours of warning
    beat(seeded, "host:1", leader=True)
    status, body = ready(client)
    assert status == 503 and body["checks"]["crl"]["ok"] is False
    assert "more hours" in body["checks"]["crl"]["detail"]


def test_not_ready_with_a_migration_missing(client, seeded):
    beat(seeded, "host:1", leader=True)
    url = seeded.engine.url.render_as_string(hide_password=False)
    seeded.engine.dispose()
    command.downgrade(alembic_config(url), "-1")
    status, body = ready(client)
    assert status == 503 and body["checks"]["migrations"] == {
        "ok": False, "detail": "1 not applied"}


def test_not_ready_without_a_database(tmp_path, ca_template):
    from support import make_config

    from ra_console.adapters.runtime import build_runtime

    runtime = build_runtime(make_config(tmp_path, "postgresql+psycopg://ra@127.0.0.1:9/none",
                                        ca_template))
    status, body = ready(create_app(runtime=runtime).test_client())
    assert status == 503 and body["checks"] == {
        "database": {"ok": False, "detail": "unreachable (OperationalError)"}}


def metrics(client, remote="127.0.0.1", **headers):
    return client.get("/metrics", environ_base={"REMOTE_ADDR": remote}, headers=headers)


def test_metrics_only_for_allowed_networks_or_the_token(seeded):
    seeded.config["metrics.token"] = "scrape-token"
    client = create_app(runtime=seeded).test_client()
    assert metrics(client).status_code == 200  # loopback: metrics.allowed_networks
    assert metrics(client, "203.0.113.9").status_code == 403
    assert metrics(client, "203.0.113.9", Authorization="Bearer wrong").status_code == 403
    assert metrics(client, "203.0.113.9",
                   Authorization="Bearer scrape-token").status_code == 200


def test_metrics_tell_what_operators_watch(seeded, issue_directly, browser, clock):
    issue_directly()
    beat(seeded, "host:1", leader=True)
    browser.client.environ_base["REMOTE_ADDR"] = "10.1.2.3"  # in auth.allowed_networks
    browser.login("erika")
    client = browser.client
    text = metrics(client).get_data(as_text=True)
    assert 'ra_sign_ins_total{mode="dev",outcome="ok"}' in text
    assert 'ra_http_requests_total{endpoint="auth.login_dev",method="POST",status="302"}' \
        in text
    assert 'ra_runner_leader{runner="host:1"} 1.0' in text
    assert 'ra_job_last_run_timestamp_seconds{job="drain_outbox"}' in text
    assert 'ra_job_last_run_failed{job="drain_outbox"} 0.0' in text
    assert 'ra_crl_next_update_timestamp_seconds{crl="issuing"}' in text
    assert "ra_issuance_latency_seconds_count 1.0" in text
    with seeded.session() as s:
        assert s.exec(select(Certificate)).one().status == "issued"


def test_metrics_show_outbox_depth_dead_messages_and_ca_errors(seeded, browser,
                                                              request_certificate):
    from ra_console.models import OutboxMessage

    browser.client.environ_base["REMOTE_ADDR"] = "10.1.2.3"  # in auth.allowed_networks
    request_certificate()  # sent: a ca.submit and a mail wait in the outbox
    with seeded.session() as s:
        submit = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "ca.submit")).one()
        submit.state, submit.last_error = "dead", "CA unreachable"
        s.commit()
    text = metrics(create_app(runtime=seeded).test_client()).get_data(as_text=True)
    assert 'ra_outbox_messages{kind="ca.submit",state="dead"} 1.0' in text
    assert 'ra_outbox_messages{kind="mail",state="pending"} 1.0' in text
    assert 'ra_ca_errors{kind="ca.submit",state="dead"} 1.0' in text
