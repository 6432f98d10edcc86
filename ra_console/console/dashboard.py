"""The console's start page: what is waiting, what was issued, what expires, what failed."""

from __future__ import annotations

from datetime import timedelta

from flask_admin import expose
from sqlalchemy import func
from sqlmodel import select

from ..db import get_session
from ..models import Certificate, OutboxMessage
from .base import GuardedIndexView


def issued_per_month(session, now, months: int = 12) -> list[tuple[str, int]]:
    start = (now - timedelta(days=31 * (months - 1))).replace(day=1, hour=0, minute=0,
                                                              second=0, microsecond=0)
    rows = session.exec(select(Certificate.issued_at).where(Certificate.issued_at >= start)).all()
    counts: dict[str, int] = {}
    for issued in rows:
        key = issued.strftime("%Y-%m")
        counts[key] = counts.get(key, 0) + 1
    keys, cursor = [], start
    for _ in range(months):
        keys.append(cursor.strftime("%Y-%m"))
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    return [(k, counts.get(k, 0)) for k in keys]


class DashboardView(GuardedIndexView):
    @expose("/")
    def index(self):
        session = get_session()
        now = session.info["runtime"].now()

        def count(*conditions, model=Certificate):
            return session.exec(select(func.count()).select_from(model).where(*conditions)).one()

        stats = {
            "pending_approval": count(Certificate.status == "pending_approval"),
            "sent": count(Certificate.status == "sent"),
            "expiring": count(Certificate.status == "issued",
                              Certificate.not_after <= now + timedelta(days=60)),
            "dead": count(OutboxMessage.state == "dead", model=OutboxMessage),
            "pending_outbox": count(OutboxMessage.state == "pending", model=OutboxMessage),
        }
        months = issued_per_month(session, now)
        peak = max([n for _, n in months] + [1])
        return self.render("console/dashboard.html", stats=stats, months=months, peak=peak)
