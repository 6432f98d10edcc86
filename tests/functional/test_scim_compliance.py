"""scim2-tester, the SCIM compliance checker, against the app served over real HTTP: the
discovery endpoints, creation, reading, replacing, patching and deleting of Users."""

from __future__ import annotations

import httpx2
import pytest
from proxies import HTTPThread
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from ra_console.scim.schema import RA_EXTENSION
from ra_console.usecases.scim_clients import create_client
from ra_console.workflow.actor import Actor


@pytest.fixture
def config_overrides():
    """The checker fills only what the schema marks required; which IdM attributes a site
    requires is its configuration (refusals: test_scim.py)."""
    return {"auth.required_attributes": []}


@pytest.fixture
def served(app, seeded):
    with seeded.session() as s:
        token = create_client(s, "compliance", Actor("admin", roles={"ra_admin": frozenset()}),
                              seeded.now())
        s.commit()
    server = HTTPThread(wsgi_app=app)
    yield f"http://127.0.0.1:{server.port}/scim/v2", token
    server.stop()


def appended(result) -> bool:
    """The checker first adds the whole extension (with a random affiliation), then adds
    one affiliation and expects to read back only that one; RFC 7644 §3.5.2.1 says an
    `add` to a multi-valued attribute appends. Exactly that case, and only when the value
    was appended, is not an error."""
    data = result.data or {}
    return (result.title == "check_add_attribute"
            and data.get("urn") == f"{RA_EXTENSION}:affiliations"
            and len(data["actual"]) == 2 and data["actual"][1:] == data["expected"])


def test_scim2_tester_finds_nothing_wrong(served):
    base, token = served
    with httpx2.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http:
        results = check_server(SyncSCIMClient(http))
    failed = [(r.title, r.reason) for r in results
              if r.status == Status.ERROR and not appended(r)]
    assert failed == []
    succeeded = {r.title for r in results if r.status == Status.SUCCESS}
    assert {"object_creation", "object_query", "object_replacement", "object_deletion",
            "check_add_attribute", "check_remove_attribute", "check_replace_attribute",
            "access_schema_by_id"} <= succeeded, sorted(succeeded)
