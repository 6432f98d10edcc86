#!/usr/bin/env python3
"""SCIM requests against many persons, through the whole Flask app (token check, handler,
storage, identity feed, audit) without the HTTP server. Never run from pytest.

    .venv/bin/python bench/scim_feed.py [PERSONS] [DB-URL]

Default: 200,000 persons in a fresh SQLite file; pass a PostgreSQL URL (a database of
your own, emptied first) to measure there. Reports the median and p95 of each request."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import insert, text

from ra_console.adapters.migrate import upgrade
from ra_console.adapters.runtime import build_runtime
from ra_console.app import create_app
from ra_console.core.config import load_config
from ra_console.models import Person
from ra_console.usecases.scim_clients import create_client
from ra_console.workflow.actor import Actor

RA = "urn:ietf:params:scim:schemas:extension:ra-console:2.0:User"
ROUNDS = 50


def _seed(runtime, persons: int) -> None:
    rows = [{"public_id": str(uuid.uuid4()), "username": f"user{i:06d}",
             "given_name": "Given", "surname": f"Surname{i}", "affiliations": "employee",
             "idm_emails": f"user{i:06d}@uni.example.org", "external_id": f"idm-{i}",
             "created_at": runtime.now()} for i in range(persons)]
    with runtime.engine.begin() as connection:
        for start in range(0, persons, 10_000):
            connection.execute(insert(Person), rows[start:start + 10_000])
        if runtime.engine.dialect.name == "postgresql":
            connection.execute(text("ANALYZE person"))


def _time(call) -> list[float]:
    times = []
    for i in range(ROUNDS):
        started = time.perf_counter()
        response = call(i)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code < 300, response.get_json()
    return times


def main() -> None:
    persons = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    folder = Path(tempfile.mkdtemp(prefix="scim-bench-"))
    url = sys.argv[2] if len(sys.argv) > 2 else f"sqlite:///{folder / 'ra.sqlite'}"
    runtime = build_runtime(load_config(environ={}, overrides={
        "instance_path": str(folder), "database_url": url, "auth.mode": "header",
        "auth.trusted_proxies": ["127.0.0.1"]}))
    if url.startswith("postgresql"):
        with runtime.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade(runtime.engine)
    started = time.perf_counter()
    _seed(runtime, persons)
    print(f"{persons} persons seeded in {time.perf_counter() - started:.1f} s ({url.split(':')[0]})")
    with runtime.session() as session:
        token = create_client(session, "bench", Actor("bench"), runtime.now())
        session.commit()
    client = create_app(runtime=runtime).test_client()
    auth = {"Authorization": f"Bearer {token}"}

    def get(path):
        return client.get(f"/scim/v2{path}", headers=auth)

    def ids(i):
        return get(f'/Users?filter=userName eq "user{i * 997 % persons:06d}"').get_json()[
            "Resources"][0]["id"]

    cases = {
        'filter userName eq': lambda i: get(
            f'/Users?filter=userName eq "user{i * 997 % persons:06d}"'),
        'filter externalId eq': lambda i: get(f'/Users?filter=externalId eq "idm-{i * 983}"'),
        'page of 100': lambda i: get(f"/Users?startIndex={i * 1000 + 1}&count=100"),
        'POST (new person)': lambda i: client.post("/scim/v2/Users", headers=auth, json={
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", RA],
            "userName": f"new{i}", "name": {"givenName": "N", "familyName": f"New{i}"},
            "emails": [{"value": f"new{i}@uni.example.org"}],
            RA: {"affiliations": [{"value": "student"}]}}),
        'GET by userName + PATCH active=false': lambda i: client.patch(f"/scim/v2/Users/{ids(i)}", headers=auth,
                                                     json={"schemas": [
            "urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
            {"op": "replace", "path": "active", "value": False}]}),
    }
    for name, call in cases.items():
        times = sorted(_time(call))
        print(f"{name:34} median {statistics.median(times):7.1f} ms   "
              f"p95 {times[int(len(times) * 0.95) - 1]:7.1f} ms")


if __name__ == "__main__":
    main()
