"""Logs operators can use: a request id per web request (response header, audit events,
outbox messages and their handling by the job runner), JSON lines on request, and no SQL
parameters or e-mail addresses in error logs."""

from __future__ import annotations

import io
import json
import logging

import pytest
from sqlalchemy import text
from sqlmodel import select

from ra_console.core.logs import build_handler
from ra_console.models import AuditEvent, Certificate, OutboxMessage

ADDRESS = "erika.mustermann@uni.example.org"


@pytest.fixture
def config_overrides():
    return {"logging.format": "json"}


@pytest.fixture
def log_lines(runtime):
    """The lines the configured handler writes, parsed (JSON)."""
    stream = io.StringIO()
    handler = build_handler(runtime.config, stream)
    logging.getLogger().addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logging.getLogger().removeHandler(handler)


def _events(runtime, trigger: str) -> list[AuditEvent]:
    with runtime.session() as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.trigger == trigger)))


def test_each_request_has_its_own_id_and_its_audit_events_carry_it(browser, seeded):
    first, second = browser.get("/healthz/live"), browser.login("erika")
    ids = {first.headers["X-Request-ID"], second.headers["X-Request-ID"]}
    assert len(ids) == 2 and all(len(i) == 32 for i in ids)
    [login] = _events(seeded, "login")
    assert login.data["request_id"] == second.headers["X-Request-ID"]


def test_a_client_sent_request_id_is_not_taken(browser):
    response = browser.get("/healthz/live", headers={"X-Request-ID": "forged-by-the-client"})
    assert response.headers["X-Request-ID"] != "forged-by-the-client"


def test_the_job_runner_handles_a_message_under_the_id_of_its_request(
        request_certificate, browser, run_jobs, seeded, log_lines):
    public_id = request_certificate(send=False)
    sent = browser.submit(f"/certificates/{public_id}/submit")
    request_id = sent.headers["X-Request-ID"]
    with seeded.session() as s:
        submit = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "ca.submit")).one()
    assert submit.payload["request_id"] == request_id
    logging.getLogger("ra_console.test").warning("before the runner")
    run_jobs()
    with seeded.session() as s:
        cert = s.exec(select(Certificate).where(Certificate.public_id == public_id)).one()
    assert cert.status == "issued"
    # "issue" was fired by the runner, on behalf of the request that sent it
    [issued] = [e for e in _events(seeded, "issue") if e.entity_id == public_id]
    assert (issued.actor, issued.data["request_id"]) == ("system", request_id)
    [line] = log_lines()
    assert line["level"] == "WARNING" and line["request_id"] == "-"  # outside both


def test_an_error_log_has_no_address_and_no_sql_parameters(app, browser, log_lines):
    runtime = app.extensions["ra_runtime"]

    def failing_lookup():
        with runtime.session() as s:
            s.execute(text("SELECT id FROM no_such_table WHERE address = :a"), {"a": ADDRESS})
        return "unreachable"
    app.add_url_rule("/test-failing-lookup", view_func=failing_lookup)
    response = browser.get("/test-failing-lookup")
    assert response.status_code in (500, 503)
    assert ADDRESS not in response.get_data(as_text=True)
    errors = [line for line in log_lines() if line["level"] == "ERROR"]
    assert errors and errors[0]["request_id"] == response.headers["X-Request-ID"]
    logged = json.dumps(errors)
    assert "no_such_table" in logged  # the error is there ...
    assert "SQL parameters hidden" in logged  # ... without its parameters
    assert "@" not in logged


def test_addresses_in_any_log_line_are_replaced(runtime, log_lines):
    try:
        raise ConnectionError(f"(550, b'5.1.1 <{ADDRESS}>: Recipient address rejected')")
    except ConnectionError:
        logging.getLogger("ra_console.test").exception("mail to %s failed", ADDRESS)
    [line] = log_lines()
    assert "@" not in json.dumps(line)
    assert line["message"] == "mail to <address> failed"
    assert "<<address>>: Recipient address rejected" in line["exc_info"]
