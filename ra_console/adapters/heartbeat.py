"""Job runners' heartbeats: written on every interval by each runner, leader or standby;
read by the health checks and the metrics."""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import select

from ra_console.models import RunnerHeartbeat

FORGET_AFTER = timedelta(days=1)  # rows of runners that died without saying goodbye


def runner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def beat(runtime, runner: str, leader: bool) -> None:
    now = runtime.now()
    with runtime.session() as session:
        row = session.get(RunnerHeartbeat, runner) or RunnerHeartbeat(runner=runner,
                                                                       started_at=now)
        row.leader, row.seen_at = leader, now
        session.add(row)
        session.execute(delete(RunnerHeartbeat).where(
            RunnerHeartbeat.seen_at < now - FORGET_AFTER))
        session.commit()


def forget(runtime, runner: str) -> None:
    """A runner that stops cleanly takes its row with it."""
    with runtime.session() as session:
        session.execute(delete(RunnerHeartbeat).where(RunnerHeartbeat.runner == runner))
        session.commit()


def heartbeats(session) -> list[RunnerHeartbeat]:
    return list(session.exec(select(RunnerHeartbeat).order_by(RunnerHeartbeat.runner)))
