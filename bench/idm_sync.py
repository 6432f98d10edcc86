#!/usr/bin/env python3
"""The LDAP pull sync (usecases/ldap_sync.py) against a large directory: a private slapd
with the eduPerson schema, PERSONS entries loaded offline with slapadd, and a database
already in step with it (persons and their IdM mailboxes inserted in bulk, as a first
full sync would have left them). Never run from pytest.

    .venv/bin/python bench/idm_sync.py [PERSONS] [CHANGED] [DB-URL]

Default: 200,000 persons, 1,000 changed, a fresh SQLite file; pass a PostgreSQL URL (a
database of your own, emptied first) to measure there. Measures

- the full comparison (every entry read and compared; nothing changed): target <= 5 min;
- a changed-entries run after CHANGED entries got a new surname: target <= 10 s;

and writes its database's section of bench/results/idm-sync.md (with the load average:
the machine is shared)."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import ldap3
from sqlalchemy import insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from slapd_server import ADMIN, PEOPLE, SECRET, Slapd, base_ldif  # noqa: E402

from ra_console.adapters.migrate import upgrade  # noqa: E402
from ra_console.adapters.runtime import build_runtime  # noqa: E402
from ra_console.core.config import load_config  # noqa: E402
from ra_console.models import Mailbox, MailboxAddress, Person  # noqa: E402
from ra_console.usecases import ldap_sync  # noqa: E402

DOMAIN = "uni.example.org"
FIRST_STAMP = datetime(2026, 1, 1, tzinfo=timezone.utc)
AFFILIATIONS = (("employee", "member"), ("student", "member"), ("faculty", "member"))
NEW = 2_000  # new entries for the creation step
RESULTS = Path(__file__).parent / "results" / "idm-sync.md"


def _uuid(i: int) -> str:
    return str(uuid.UUID(int=i + 1))


def _person(i: int) -> dict:
    return {"uid": f"u{i:07d}", "given": "Given", "surname": f"Surname{i}",
            "mail": f"u{i:07d}@{DOMAIN}", "affiliations": AFFILIATIONS[i % 3]}


def write_ldif(path: Path, persons: int) -> None:
    """Entries modified one second apart: the changed-entries run after the full
    comparison re-reads only the last few minutes' worth (its margin)."""
    with path.open("w") as out:
        out.write(base_ldif())
        for i in range(persons):
            p = _person(i)
            stamp = (FIRST_STAMP + timedelta(seconds=i)).strftime("%Y%m%d%H%M%SZ")
            out.write(
                f"dn: uid={p['uid']},{PEOPLE}\nobjectClass: inetOrgPerson\n"
                f"objectClass: eduPerson\nuid: {p['uid']}\ncn: {p['given']} {p['surname']}\n"
                f"sn: {p['surname']}\ngivenName: {p['given']}\n"
                f"displayName: {p['given']} {p['surname']}\nmail: {p['mail']}\n"
                f"eduPersonPrincipalName: {p['uid']}@{DOMAIN}\n"
                + "".join(f"eduPersonAffiliation: {a}\n" for a in p["affiliations"])
                + "".join(f"eduPersonScopedAffiliation: {a}@{DOMAIN}\n"
                          for a in p["affiliations"])
                + f"entryUUID: {_uuid(i)}\ncreateTimestamp: {stamp}\n"
                f"modifyTimestamp: {stamp}\n\n")


def seed(runtime, persons: int) -> None:
    """The persons and IdM mailboxes a first sync would have made, in bulk."""
    now = runtime.now()
    with runtime.engine.begin() as connection:
        for start in range(0, persons, 10_000):
            chunk = range(start, min(start + 10_000, persons))
            connection.execute(insert(Person), [{
                "public_id": str(uuid.uuid4()), "username": p["uid"], "given_name": p["given"],
                "surname": p["surname"],
                "affiliations": " ".join(sorted({"employee" if a == "faculty" else a
                                                 for a in p["affiliations"]})),
                "idm_emails": p["mail"], "idm_active": True, "external_id": _uuid(i),
                "idm_source": "ldap", "created_at": now}
                for i, p in ((i, _person(i)) for i in chunk)])
        ids = dict(connection.execute(select(Person.username, Person.id)).all())
        for start in range(0, persons, 10_000):
            chunk = [_person(i) for i in range(start, min(start + 10_000, persons))]
            connection.execute(insert(Mailbox), [{
                "public_id": str(uuid.uuid4()), "kind": "personal", "source": "idm",
                "display_name": f"{p['given']} {p['surname']}", "owner_id": ids[p["uid"]],
                "status": "verified", "comment": "", "created_at": now} for p in chunk])
        boxes = dict(connection.execute(select(Mailbox.owner_id, Mailbox.id)).all())
        for start in range(0, persons, 10_000):
            chunk = [_person(i) for i in range(start, min(start + 10_000, persons))]
            connection.execute(insert(MailboxAddress), [{
                "mailbox_id": boxes[ids[p["uid"]]], "address": p["mail"], "display": p["mail"],
                "is_primary": True, "verified_at": now, "method": "idm"} for p in chunk])
        if runtime.engine.dialect.name == "postgresql":
            connection.execute(text("ANALYZE"))


CPU: dict[str, float] = {}  # this process's CPU seconds per step (slapd's not included)


def timed(label: str, call):
    started, cpu = time.perf_counter(), time.process_time()
    value = call()
    seconds = time.perf_counter() - started
    CPU[label] = time.process_time() - cpu
    print(f"{label}: {seconds:.1f} s (CPU {CPU[label]:.1f} s)", flush=True)
    return value, seconds


def write_results(database: str, report: str) -> None:
    """One section per database in the results file: this run's replaces its own."""
    sections = {}
    if RESULTS.exists():
        for chunk in RESULTS.read_text().split("\n## ")[1:]:
            sections[chunk.split("\n", 1)[0].strip()] = "## " + chunk.rstrip() + "\n"
    sections[database] = report.rstrip() + "\n"
    RESULTS.write_text("# LDAP pull sync: benchmark\n\n" + "\n".join(
        sections[name] for name in sorted(sections)))


def main() -> None:
    persons = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    changed = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000
    folder = Path(tempfile.mkdtemp(prefix="idm-sync-bench-"))
    url = sys.argv[3] if len(sys.argv) > 3 else f"sqlite:///{folder / 'ra.sqlite'}"
    load_before = os.getloadavg()
    server = Slapd(folder / "slapd")
    server.configure(maxsize=8 * 1024 ** 3)
    timed("LDIF written", lambda: write_ldif(folder / "people.ldif", persons))
    _, slapadd_s = timed("slapadd", lambda: server.load(folder / "people.ldif"))
    server.start()
    try:
        runtime = build_runtime(load_config(environ={}, overrides={
            "instance_path": str(folder), "database_url": url, "demo": True, "auth.mode": "dev",
            "ldap_sync.enabled": True, "ldap_sync.url": server.url,
            "ldap_sync.bind_dn": ADMIN, "ldap_sync_bind_password": SECRET,
            "ldap_sync.base_dn": PEOPLE, "ldap_sync.username_attribute": "uid",
            "ldap_sync.affiliation_map": ["faculty=employee"],
            "ldap_sync.page_size": 1000}))
        upgrade(runtime.engine)
        timed("database seeded", lambda: seed(runtime, persons))
        full, full_s = timed("full comparison", lambda: ldap_sync.run(runtime, full=True))
        assert full.unchanged == persons and not (full.changed or full.created), full

        step = max(persons // changed, 1)
        picked = list(range(0, persons, step))[:changed]
        connection = ldap3.Connection(ldap3.Server(server.url, get_info=ldap3.NONE), ADMIN,
                                      SECRET, auto_bind=True, raise_exceptions=True)
        _, modify_s = timed(f"{len(picked)} entries modified over LDAP", lambda: [
            connection.modify(f"uid={_person(i)['uid']},{PEOPLE}",
                              {"sn": [(ldap3.MODIFY_REPLACE, [f"Renamed{i}"])]})
            for i in picked])
        connection.unbind()
        delta, delta_s = timed("changed-entries run", lambda: ldap_sync.run(runtime, full=False))
        assert delta.changed == len(picked), delta

        # new persons (what a first sync does for every entry): created through the feed
        # with their IdM mailbox, one by one
        new = range(persons, persons + NEW)
        connection = ldap3.Connection(ldap3.Server(server.url, get_info=ldap3.NONE), ADMIN,
                                      SECRET, auto_bind=True, raise_exceptions=True)
        for i in new:
            p = _person(i)
            connection.add(f"uid={p['uid']},{PEOPLE}", ["inetOrgPerson", "eduPerson"], {
                "uid": p["uid"], "cn": f"{p['given']} {p['surname']}", "sn": p["surname"],
                "givenName": p["given"], "mail": p["mail"],
                "eduPersonAffiliation": list(p["affiliations"])})
        connection.unbind()
        created, created_s = timed(f"{NEW} new entries", lambda: ldap_sync.run(
            runtime, full=False))
        assert created.created == NEW, created
        runtime.engine.dispose()
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)  # the directory and SQLite: gigabytes
    load_after = os.getloadavg()
    report = f"""## {runtime.engine.dialect.name}

`bench/idm_sync.py {persons} {changed}` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M UTC},
{os.cpu_count()} CPUs, database {runtime.engine.dialect.name}, slapd (back-mdb) on loopback,
page size 1000. Load average (1/5/15 min) before: {' / '.join(f'{x:.1f}' for x in load_before)},
after: {' / '.join(f'{x:.1f}' for x in load_after)} (a shared machine: the numbers of a
loaded machine are upper bounds).

| step | entries | wall time | RA CPU | target |
|---|---:|---:|---:|---:|
| slapadd (offline bulk load, setup) | {persons:,} | {slapadd_s:.1f} s | | |
| full comparison (every entry read and compared, nothing changed) | {full.read:,} read | {full_s:.1f} s | {CPU["full comparison"]:.1f} s | <= 300 s |
| {len(picked):,} entries modified over LDAP (setup) | {len(picked):,} | {modify_s:.1f} s | | |
| changed-entries run (modifyTimestamp) | {delta.read:,} read, {delta.changed:,} changed | {delta_s:.1f} s | {CPU["changed-entries run"]:.1f} s | <= 10 s |
| changed-entries run with new entries (persons and IdM mailboxes created) | {created.read:,} read, {created.created:,} created | {created_s:.1f} s | {CPU[f"{NEW} new entries"]:.1f} s | |

"RA CPU" is the CPU time of the sync's own process (slapd and PostgreSQL not counted):
on a loaded machine the wall time waits for the CPU, this does not.

The changed-entries run reads the changed entries and those modified in the few minutes
before the newest one it saw last time (the margin that keeps an entry changed during a
run from being skipped); only the changed ones go through the identity feed. The last
row is what a first sync of a directory costs per person (the setup inserted the {persons:,}
persons in bulk instead: creating each through the feed, with its audit events and
mailbox workflow, is the slow part of a first sync, not of the daily ones).
"""
    write_results(runtime.engine.dialect.name, report)
    print(report)


if __name__ == "__main__":
    main()
