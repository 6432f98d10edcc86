"""The console's start page: what is waiting, what was issued, what expires, what failed."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_admin import expose
from sqlalchemy import func
from sqlmodel import select

from ra_console.console.base import GuardedIndexView
from ra_console.console.labels import value_label
from ra_console.core.db import get_session
from ra_console.models import Certificate, OutboxMessage, Setting
from ra_console.web.current import current_actor


def _month_key(session):
    # counted in the database, grouped by month (index on issued_at): never one row per
    # certificate into Python
    if session.get_bind().dialect.name == "sqlite":
        return func.strftime("%Y-%m", Certificate.issued_at)
    return func.to_char(Certificate.issued_at, "YYYY-MM")


def issued_per_month(session, now, months: int = 12) -> list[tuple[str, int]]:
    """Certificates issued per month, the last `months` months (one GROUP BY over the
    issued_at index; the dashboard reuses its figures for dashboard_cache_seconds)."""
    # the current month and the months - 1 before it (by month number: a fixed number of
    # days would drop the current month early in a month)
    first = now.year * 12 + now.month - 1 - (months - 1)
    keys = [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(first, first + months)]
    start = now.replace(year=first // 12, month=first % 12 + 1, day=1, hour=0, minute=0,
                        second=0, microsecond=0)
    month = _month_key(session)
    counts = dict(session.exec(select(month, func.count()).where(
        Certificate.issued_at >= start).group_by(month)).all())
    return [(k, counts.get(k, 0)) for k in keys]


def dashboard_figures(session, now) -> dict:
    """Everything the dashboard shows, counted in the database (a handful of index scans)."""

    def count(*conditions, model=Certificate):
        return session.exec(select(func.count()).select_from(model).where(*conditions)).one()

    stats = {
        "pending_approval": count(Certificate.status == "pending_approval"),
        "sent": count(Certificate.status == "sent"),
        "expiring": count(Certificate.status == "issued",
                          Certificate.not_after <= now + timedelta(days=60)),
        "dead": count(OutboxMessage.state == "dead", model=OutboxMessage),
        "pending_outbox": count(OutboxMessage.state == "pending", model=OutboxMessage),
        # certificates that failed the RA's checks (refused) or have pkilint errors: each
        # raised one alert mail (jobs/handlers.py _alert)
        "failed_checks": count(OutboxMessage.kind == "mail.alert",
                               OutboxMessage.created_at >= now - timedelta(days=30),
                               model=OutboxMessage),
    }
    months = issued_per_month(session, now)
    runs = [(value_label("job", s.key.removeprefix("job:")), datetime.fromisoformat(s.value["at"]),
             s.value) for s in session.exec(
        select(Setting).where(Setting.key.startswith("job:")).order_by(Setting.key))]
    return {"stats": stats, "months": months, "peak": max([n for _, n in months] + [1]),
            "runs": runs, "counted_at": now}


class DashboardView(GuardedIndexView):
    @expose("/")
    def index(self):
        session = get_session()
        runtime = session.info["runtime"]
        now = runtime.now()
        # Many operators on one page: count at most every dashboard_cache_seconds per
        # process (the figures are counts over up to millions of rows).
        cached = runtime.services.get("dashboard.figures")
        max_age = timedelta(seconds=runtime.config["dashboard_cache_seconds"])
        if cached is None or not now - max_age < cached["counted_at"] <= now:
            cached = dashboard_figures(session, now)
            runtime.services["dashboard.figures"] = cached
        actor = current_actor()
        operations = actor.has_role("ra_admin") or actor.has_role("auditor")
        return self.render("console/dashboard.html", operations=operations, **cached)
