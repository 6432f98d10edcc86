"""How pages show times: in the configured time zone, to the minute (stored times are UTC)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app


def local_time(moment: datetime | None) -> str:
    """'2026-11-29 22:44' in the configured time zone; '' for none."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    zone = ZoneInfo(current_app.extensions["ra_runtime"].config["timezone"])
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def local_date(moment: date | datetime | None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        return local_time(moment)[:10]
    return moment.isoformat()
