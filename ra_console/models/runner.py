"""Job runners' heartbeats: each runner process writes its row on every interval, the
leader and the standbys alike (health checks and metrics read them)."""

from datetime import datetime

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from ra_console.models._types import timestamp, utcnow


class RunnerHeartbeat(SQLModel, table=True):
    __tablename__ = "runner_heartbeat"

    runner: str = Field(sa_type=String(200), primary_key=True)  # host:pid
    leader: bool = False
    started_at: datetime = timestamp(default_factory=utcnow)
    seen_at: datetime = timestamp(default_factory=utcnow)
