"""What the health checks and the metrics read: database, migrations, job runners, the
local CA's CRLs. Each check is one small query or a file's modification time: cheap enough
for a load balancer that asks every few seconds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from ra_console.adapters.schema_version import pending
from ra_console.core.db import aware
from ra_console.models import RunnerHeartbeat


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@lru_cache(maxsize=16)
def _next_update(path: str, mtime_ns: int) -> datetime:  # mtime: a new CRL, a new entry
    return x509.load_der_x509_crl(Path(path).read_bytes()).next_update_utc


def crl_next_updates(ca_folder: str) -> dict[str, datetime]:
    """nextUpdate of each CRL of the local CA ({} without a local CA)."""
    found = {}
    for path in sorted(Path(ca_folder).glob("*.crl")):
        try:
            found[path.stem] = _next_update(str(path), path.stat().st_mtime_ns)
        except (OSError, ValueError):
            continue
    return found


def readiness(runtime) -> list[Check]:
    """Every check; the database first (without it the others cannot be asked)."""
    config, now = runtime.config, runtime.now()
    try:
        with runtime.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            missing = pending(connection)
    except SQLAlchemyError as exc:
        return [Check("database", False, f"unreachable ({type(exc).__name__})")]
    checks = [Check("database", True, "reachable"),
              Check("migrations", not missing,
                    "current" if not missing else f"{len(missing)} not applied")]
    try:
        with runtime.engine.connect() as connection:
            seen = connection.execute(select(func.max(RunnerHeartbeat.seen_at))).scalar()
    except SQLAlchemyError:  # e.g. the table's migration is missing
        seen = None
    if seen is None:
        checks.append(Check("runner", False, "no job runner heartbeat"))
    else:
        age = int((now - aware(seen)).total_seconds())
        checks.append(Check("runner", age <= config["health.runner_silent_seconds"],
                            f"last heartbeat {age} s ago"))
    crls = crl_next_updates(config["pki.local_ca_path"])
    if crls:
        name, next_update = min(crls.items(), key=lambda item: item[1])
        hours = (next_update - now).total_seconds() / 3600
        checks.append(Check("crl", hours > config["health.crl_warning_hours"],
                            f"{name}.crl valid for {hours:.0f} more hours"))
    return checks
