"""Faults of the job runner, with real `ra-console jobs run` processes on PostgreSQL:
SIGKILL in the middle of a batch and a restart; two and three runners draining the same
queue, then the leader killed; SIGTERM (systemctl stop) ends a runner cleanly. Afterwards every request is issued exactly once, every mail arrived (a mail sent
again after a kill carries the same Message-ID), and the audit chain is intact."""

from __future__ import annotations

import signal
import time

from runner_support import (
    COUNT,
    check_outcome,
    handled_by,
    issued,
    make_requests,
    outbox_settled,
    runner_env,
    start_runner,
    wait_for,
)
from sqlalchemy import text

from ra_console.adapters.ca.local import SLEEP_AFTER_SIGNING
from ra_console.adapters.heartbeat import heartbeats
from ra_console.jobs.scheduler import Leadership


def test_sigkill_mid_batch_then_restart(seeded, new_csr, smtp):
    inbox, port = smtp, smtp.port
    make_requests(seeded, new_csr)
    env = runner_env(seeded, port)
    runner = start_runner(env)
    try:
        wait_for(lambda: issued(seeded) >= 3)
        runner.send_signal(signal.SIGKILL)
        runner.wait(10)
    finally:
        if runner.poll() is None:
            runner.kill()
    assert issued(seeded) < COUNT  # killed with work left
    restarted = start_runner(env)
    try:
        wait_for(lambda: issued(seeded) == COUNT and outbox_settled(seeded))
    finally:
        restarted.terminate()
        restarted.wait(10)
    check_outcome(seeded, inbox)


def test_two_runners_then_the_leader_dies(seeded, new_csr, smtp):
    inbox, port = smtp, smtp.port
    make_requests(seeded, new_csr)
    env = runner_env(seeded, port)
    first = start_runner(env)
    time.sleep(1.5)  # the first takes the leader lock
    second = start_runner(env)
    try:
        wait_for(lambda: issued(seeded) >= 3)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        wait_for(lambda: issued(seeded) == COUNT and outbox_settled(seeded))
    finally:
        for runner in (first, second):
            if runner.poll() is None:
                runner.terminate()
                runner.wait(10)
    check_outcome(seeded, inbox)


def test_three_runners_share_the_queue_then_the_leader_dies(seeded, new_csr, smtp):
    """N runners drain one queue together (SKIP LOCKED batch claims): each does part of
    the work, none does a request twice; the leader killed mid-way, the others finish."""
    inbox, port = smtp, smtp.port
    make_requests(seeded, new_csr)
    env = {**runner_env(seeded, port), SLEEP_AFTER_SIGNING: "0.3"}  # work to share
    runners = [start_runner(env)]
    time.sleep(1.5)  # the first takes the leader lock
    runners += [start_runner(env), start_runner(env)]
    try:
        wait_for(lambda: issued(seeded) >= 6)
        runners[0].send_signal(signal.SIGKILL)
        runners[0].wait(10)
        wait_for(lambda: issued(seeded) == COUNT and outbox_settled(seeded))
        survivors = {r.pid for r in runners[1:]}
        wait_for(lambda: len(leading_pids(seeded) & survivors) == 1)  # one took the lead
    finally:
        for runner in runners:
            if runner.poll() is None:
                runner.terminate()
                runner.wait(10)
    check_outcome(seeded, inbox)
    assert sum(handled_by(r) > 0 for r in runners[1:]) == 2  # both survivors did work


def leading_pids(runtime) -> set[int]:
    """Process ids of the runners whose last heartbeat says they lead."""
    with runtime.session() as s:
        return {int(h.runner.rsplit(":", 1)[1]) for h in heartbeats(s) if h.leader}


def test_a_leader_whose_lock_is_gone_stops_leading(runtime):
    """A database restart ends the leader's session and its lock: at its next heartbeat
    it notices, and leads again only if it wins the lock again."""
    leader, other = Leadership(runtime.engine), Leadership(runtime.engine)
    assert leader.try_to_lead()
    pid = leader.connection.execute(text("SELECT pg_backend_pid()")).scalar()
    leader.connection.commit()
    with runtime.engine.connect() as admin:
        admin.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
    try:
        assert other.try_to_lead() is True
        assert leader.try_to_lead() is False and not leader.leads
    finally:
        other.release()
        leader.release()


def test_sigterm_stops_a_runner_cleanly(seeded, smtp):
    """systemctl stop/restart sends SIGTERM: the runner removes its heartbeat row, so no
    "runner silent" alert follows an ordinary restart."""
    runner = start_runner(runner_env(seeded, smtp.port))
    try:
        with seeded.session() as s:
            wait_for(lambda: any(h.runner.endswith(f":{runner.pid}") for h in heartbeats(s)))
        runner.send_signal(signal.SIGTERM)
        assert runner.wait(30) == 0
    finally:
        if runner.poll() is None:
            runner.kill()
    with seeded.session() as s:
        assert [h.runner for h in heartbeats(s)] == []
    assert "stopped" in runner.log_path.read_text()
