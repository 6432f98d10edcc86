"""Faults of the job runner, with real `ra-console jobs run` processes on PostgreSQL:
SIGKILL in the middle of a batch and a restart; two runners at once, then the leader
killed. Afterwards every request is issued exactly once, every mail arrived (a mail sent
again after a kill carries the same Message-ID), and the audit chain is intact."""

from __future__ import annotations

import signal
import time

from runner_support import (
    COUNT,
    check_outcome,
    issued,
    make_requests,
    outbox_settled,
    runner_env,
    start_runner,
    wait_for,
)


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
