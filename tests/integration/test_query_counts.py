"""Query discipline: SQL statements per page and per job batch, at two data sizes.

A page must send the same number of statements whether the person has two certificates or
twenty (no N+1); a job batch must cost the same number of statements per item whatever
else is in the database. Counts only, never times (speed is bench/run's business).
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select
from support import extra_mailbox, person, send_requests

from ra_console.jobs.lifecycle import send_expiry_reminders
from ra_console.jobs.sweeps import drain_outbox, expire_certificates
from ra_console.models import AuditEvent, Certificate, Mailbox, OutboxMessage

STATES = ("issued", "expired", "revoked", "rejected", "requested")


@contextmanager
def counting(runtime):
    """Count the statements sent to the database inside the block."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(runtime.engine, "before_cursor_execute", count)


def grow(runtime, username: str, count: int) -> None:
    """Give `username` `count` more mailboxes with a certificate each (every state), and add
    as much unrelated history (outbox rows, audit events)."""
    now = runtime.now()
    with runtime.session() as s:
        owner = person(s, username)
        start = s.exec(select(Mailbox.id).order_by(Mailbox.id.desc())).first() or 0
        for i in range(count):
            mailbox = extra_mailbox(s, owner, start + i, now)
            state = STATES[i % len(STATES)]
            issued = state in ("issued", "expired", "revoked")
            address = f"{owner.username}.extra{start + i}@uni.example.org"
            s.add(Certificate(
                person_id=owner.id, mailbox_id=mailbox.id, status=state, profile="personal",
                addresses=[address], subject=f"CN={owner.given_name} {owner.surname}",
                common_name=f"{owner.given_name} {owner.surname}", key_algorithm="RSA-2048",
                csr_pem="-", spki_sha256=f"{username}-{start + i}".ljust(64, "0")[:64],
                created_at=now - timedelta(days=i), serial=format(1000 + start + i, "x")
                if issued else None, not_after=now + timedelta(days=3000 if state == "issued"
                                                              else -10) if issued else None,
                not_before=now - timedelta(days=30 * i) if issued else None,
                issued_at=now - timedelta(days=30 * i) if issued else None))
            s.add(OutboxMessage(kind="mail", payload={}, dedupe_key=f"grow:{username}:{start + i}",
                                state="done"))
            s.add(AuditEvent(seq=-(start + i + 1), entity_type="bench", entity_id="-",
                             trigger="grow", actor="test", role="system", prev_hash="-",
                             hash="-"))
        s.commit()


def statements_for(runtime, browser, url: str) -> int:
    browser.get(url)  # warm: sign-in, first-use caches
    with counting(runtime) as statements:
        response = browser.get(url)
    assert response.status_code == 200, url
    return len(statements)


def page_counts(runtime, browser, who: str, urls) -> dict[str, int]:
    browser.login(who)
    return {url: statements_for(runtime, browser, url) for url in urls}


def own_certificate(runtime, username: str) -> str:
    with runtime.session() as s:
        return s.exec(select(Certificate.public_id).where(
            Certificate.person_id == person(s, username).id,
            Certificate.status == "issued")).first()


@pytest.mark.parametrize("who, urls", [
    ("erika", ["/certificates", "/certificates?show=all", "{own}"]),
    ("admin", ["/console/", "/console/certificates/", "/console/certificates/?search=Erika",
               "/console/certificates/?search=%5Eerika.extra",
               "/console/certificates/?search=Erika+Mustermann"]),
])
def test_pages_send_as_many_statements_for_more_data(runtime, seeded, browser, who, urls):
    grow(runtime, "erika", 3)
    own = own_certificate(runtime, "erika")
    urls = [u.replace("{own}", f"/certificates/{own}") for u in urls]
    small = page_counts(runtime, browser, who, urls)
    grow(runtime, "erika", 15)
    grow(runtime, "max", 10)
    large = page_counts(runtime, browser, who, urls)
    assert large == small
    assert all(n <= 15 for n in small.values()), small  # and few, too


def drain_statements(app, runtime) -> int:
    with app.app_context(), counting(runtime) as statements:
        drain_outbox(runtime)
    return len(statements)


def test_issuance_batch_costs_the_same_per_request(app, runtime, new_csr):
    """Submitting through the job runner: statements per request do not depend on how many
    requests are in the batch, nor on how much is already in the database; the batch's own
    statements (claim, audit head, commit) are paid once per batch."""
    idle = drain_statements(app, runtime)
    counts = []
    for size in (1, 2, 3):
        send_requests(runtime, size, new_csr)
        counts.append(drain_statements(app, runtime) - idle)
        drain_statements(app, runtime)  # the 'issued' mails of the batch
        grow(runtime, "max", 12)
    one, two, three = counts
    per_request = two - one
    assert three - two == per_request, counts
    # Per request: the 'request_received' mail drained with it (4), on SQLite also its
    # audit INSERT (no multi-row INSERT … RETURNING there). The certificates' UPDATEs are
    # one statement for the batch (executemany), under one savepoint for the batch.
    assert per_request <= 5, counts
    assert 0 < one - per_request <= 14, counts
    with runtime.session() as s:
        assert not s.exec(select(Certificate).where(Certificate.status == "sent")).all()


PER_MESSAGE = ("SAVEPOINT", "RELEASE SAVEPOINT", "UPDATE certificate SET status")


def issuance_batch(app, runtime, size: int, new_csr) -> tuple[list[str], int]:
    """A batch of `size` CA submissions alone (their mails wait): the statements that are
    not the batch's savepoint and certificate UPDATE, and how many of those there are."""
    send_requests(runtime, size, new_csr)
    with app.app_context(), counting(runtime) as statements:
        assert drain_outbox(runtime, only_batched=True) == size
    per_message = [s for s in statements if s.lstrip().startswith(PER_MESSAGE)]
    rest = [" ".join(s.split()[:3]) for s in statements if s not in per_message]
    if runtime.engine.dialect.name == "sqlite":  # no multi-row INSERT … RETURNING there
        first = rest.index("INSERT INTO audit_event")
        rest = [s for i, s in enumerate(rest) if i == first or s != rest[first]]
    return rest, len(per_message)


def test_issuance_batch_statements_do_not_grow_with_the_batch(app, runtime, new_csr):
    """A batch of N issuances: one claim, one SELECT … FOR UPDATE of its requests, one
    read of the issuance switch, one savepoint, one UPDATE of its certificates
    (executemany) and one INSERT of their serials into the search table, the release,
    one UPDATE of its outbox rows, one INSERT of its mail rows, the audit head and its
    events, whatever N is: nothing per certificate (a
    failing one makes the batch redo itself one savepoint per message:
    test_outbox_batches.py)."""
    small, per_small = issuance_batch(app, runtime, 1, new_csr)
    grow(runtime, "max", 12)
    large, per_large = issuance_batch(app, runtime, 5, new_csr)
    assert large == small
    assert len(small) <= 12, small
    assert (per_small, per_large) == (3, 3)
    assert sum(s.startswith("INSERT INTO outbox") for s in large) == 1
    assert sum(s.startswith("INSERT INTO certificate_identifier") for s in large) == 1
    with runtime.session() as s:
        certs = s.exec(select(Certificate).where(Certificate.person_id == person(
            s, "erika").id, Certificate.status == "issued")).all()
        assert len(certs) >= 6
        mails = s.exec(select(OutboxMessage.dedupe_key).where(
            OutboxMessage.dedupe_key.like("mail:certificate_issued:%"))).all()
        assert {f"mail:certificate_issued:{c.public_id}" for c in certs} <= set(mails)


def test_expiry_sweep_costs_the_same_per_certificate(app, runtime, clock, new_csr):
    with app.app_context(), counting(runtime) as statements:
        expire_certificates(runtime)
    idle = len(statements)

    def expire_after_issuing(count: int) -> int:
        send_requests(runtime, count, new_csr)
        drain_statements(app, runtime)
        clock.advance(days=800)
        with app.app_context(), counting(runtime) as statements:
            assert expire_certificates(runtime) == count
        clock.advance(days=-800)
        return len(statements) - idle

    one = expire_after_issuing(1)
    two = expire_after_issuing(2)
    grow(runtime, "max", 12)
    three = expire_after_issuing(3)
    # the same few statements for each further certificate, whatever else is stored
    assert three - two == two - one <= 10, (one, two, three)


def test_reminder_sweep_costs_the_same_for_more_reminders(app, runtime, clock, new_csr):
    """Finding and enqueueing expiry reminders is one query and one insert, however many
    are due (10 000 at national scale: bench/run)."""

    def remind_after_issuing(count: int) -> tuple[int, int]:
        send_requests(runtime, count, new_csr)
        drain_statements(app, runtime)
        with runtime.session() as s:
            not_after = max(s.exec(select(Certificate.not_after).where(
                Certificate.status == "issued")).all())
        days = (not_after.replace(tzinfo=None) - runtime.now().replace(tzinfo=None)).days
        clock.advance(days=days - 20)
        with app.app_context(), counting(runtime) as statements:
            reminded = send_expiry_reminders(runtime)
        clock.advance(days=20 - days)
        return reminded, len(statements)

    assert remind_after_issuing(1) == (1, 2)  # one SELECT, one INSERT
    grow(runtime, "max", 12)
    reminded, statements = remind_after_issuing(3)
    assert reminded == 3 and statements == 2
    with runtime.session() as s:
        assert len(s.exec(select(OutboxMessage).where(
            OutboxMessage.dedupe_key.like("mail:expiry_reminder:%"))).all()) == 4


def test_certificate_list_reads_its_rows_in_one_statement(runtime, seeded, browser):
    """The list's rows with holder and institute in one statement, whatever the page
    shows (queries/certificate_list.py); the sign-in's person and roles in one."""
    grow(runtime, "erika", 3)
    browser.login("admin")
    # the person with roles; the ranked page with the count and the rows
    assert statements_for(runtime, browser, "/console/certificates/?search=Erika+Mustermann") == 2
    # the person with roles, the count, the page of ids, the rows
    assert statements_for(runtime, browser, "/console/certificates/") == 4
    assert statements_for(runtime, browser, "/console/certificates/?search=%5Eerika.extra") <= 5


def test_api_call_statements_and_list_columns(app, runtime, seeded):
    """An API call: the token with its holder in one statement, the roles, the audited use
    (token, audit head, event); the certificate list reads no PEM text; more rows, the
    same statements."""
    from support import api_token

    headers = {"Authorization": f"Bearer {api_token(runtime, 'admin')}"}
    client = app.test_client()

    def api(url: str) -> list[str]:
        client.get(url, headers=headers)  # warm
        with counting(runtime) as statements:
            assert client.get(url, headers=headers).status_code == 200, url
        return statements

    me = api("/api/v1/me")
    own = [s for s in me if "audit_" not in s]  # the audit chain's share differs by dialect
    # token with holder and roles; the token's "last used" was written by the warm-up
    # call and is not again within the minute
    assert len(own) == 2 and "FROM role_assignment" in own[1], own
    assert "JOIN person" in own[0] and not any(s.startswith("SELECT person") for s in own)
    grow(runtime, "erika", 3)
    small = api("/api/v1/certificates?limit=50")
    grow(runtime, "erika", 15)
    large = api("/api/v1/certificates?limit=50")
    assert len(large) == len(small) == len(me) + 2  # + the page, + its mailboxes' ids
    listing = next(s for s in large if "FROM certificate" in s)
    assert "pem" not in listing and "lint_findings" not in listing
