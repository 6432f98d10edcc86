"""Schemathesis against the running API (a real HTTP server on loopback): every operation
of the OpenAPI document, as each role, with generated valid and invalid input. No 5xx,
every response matches the document, and a network contact never sees another
institute's addresses."""

from __future__ import annotations

import threading

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from support import api_token, institute_address
from werkzeug.serving import make_server

OTHER_INSTITUTE = "physik.uni.example.org"  # nk-itc must never see it
ROLES = ["nk-itc", "erika", "admin", "auditor"]


@pytest.fixture
def live_url(app):
    server = make_server("127.0.0.1", 0, app)  # one thread: SQLite sees one writer
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)


@pytest.mark.parametrize("who", ROLES)
def test_every_operation_as_each_role(app, live_url, who):
    runtime = app.extensions["ra_runtime"]
    institute_address(runtime, "erika", "erika-lab@itc.uni.example.org")
    phys = api_token(runtime, "nk-phys")
    api_call = app.test_client()
    created = api_call.post("/api/v1/mailboxes", headers={"Authorization": f"Bearer {phys}"},
                            json={"institute": "PHYS", "primary": f"lab@{OTHER_INSTITUTE}",
                                  "username": "max"})
    assert created.status_code == 201
    auth = {"Authorization": f"Bearer {api_token(runtime, who)}"}
    schema = schemathesis.openapi.from_url(f"{live_url}/api/v1/openapi.json")
    results = list(schema.get_all_operations())
    problems = [str(r.err()) for r in results if hasattr(r, "err")]
    assert problems == []
    operations = [result.ok() for result in results]
    assert len(operations) >= 12

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            response = case.call(headers=auth)
            # no 5xx; status, content type, headers and body as documented. Not "schema-
            # valid input is accepted": business rules (an unknown mailbox, a weak key)
            # refuse schema-valid input with 422 by design.
            case.validate_response(response, excluded_checks=[positive_data_acceptance])
            if who == "nk-itc":
                assert OTHER_INSTITUTE not in response.text, (case.method, case.path)

        check()
