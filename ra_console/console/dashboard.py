"""The console's start page, one per role: a network contact sees their institutes'
figures, identity-verification staff today's checks, RA admins and auditors the whole RA
with per-institute figures (and their CSV); failed mails and job runs only RA admins."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import Response, abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import get_locale, gettext as _
from sqlalchemy import func
from sqlmodel import select

from ra_console.console.base import GuardedIndexView, requires_roles
from ra_console.console.faces import colon_serial
from ra_console.console.labels import value_label
from ra_console.console.problem_reports import time_left
from ra_console.core.db import get_session
from ra_console.models import (
    Certificate,
    IdentityCheck,
    OutboxMessage,
    Person,
    ProblemReport,
    Setting,
)
from ra_console.queries.institute_figures import institute_figures
from ra_console.usecases.digest import set_weekly_digest
from ra_console.web.current import current_actor
from ra_console.web.formats import local_time
from ra_console.web.forms import Form
from ra_console.web.spreadsheet import csv_lines
from ra_console.workflow import audit


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
    # job names stay keys here: the cache serves readers of every language
    runs = [(s.key.removeprefix("job:"), datetime.fromisoformat(s.value["at"]),
             s.value) for s in session.exec(
        select(Setting).where(Setting.key.startswith("job:")).order_by(Setting.key))]
    return {"stats": stats, "months": months, "peak": max([n for _, n in months] + [1]),
            "runs": runs, "institutes": institute_figures(session, now), "counted_at": now}


def identity_checks_today(session, now, zone: str) -> dict:
    """Checks started since midnight (the configured time zone) and those still open."""
    # "today" is the day in the configured time zone, not in UTC
    local = now.astimezone(ZoneInfo(zone))
    midnight = datetime.combine(local.date(), time(), local.tzinfo).astimezone(timezone.utc)

    def count(*conditions):
        return session.exec(select(func.count()).select_from(IdentityCheck)
                            .where(*conditions)).one()
    return {"started_today": count(IdentityCheck.created_at >= midnight),
            "open_today": count(IdentityCheck.created_at >= midnight,
                                IdentityCheck.status == "started"),
            "verified_today": count(IdentityCheck.verified_at >= midnight)}


def list_url(view, **conditions) -> str:
    """The URL of `view`'s list filtered by column_operation=value (e.g. status_equals),
    whatever index or name Flask-Admin gives each filter in the URL."""
    args = {}
    for n, (wanted, value) in enumerate(conditions.items()):
        for index, flt in enumerate(view._filters):
            operation = flt.operation()
            operation = getattr(operation, "_args", [operation])[0]
            if f"{flt.column.key}_{str(operation).replace(' ', '_')}" == wanted:
                args[f"flt{n}_{view.get_filter_arg(index, flt)}"] = value
                break
        else:
            raise LookupError(f"{view.endpoint} has no filter {wanted}")
    return url_for(f"{view.endpoint}.index_view", **args)


class DashboardView(GuardedIndexView):
    def _overall(self, session, runtime, now) -> dict:
        # Many operators on one page: count at most every dashboard_cache_seconds per
        # process (the figures are counts over up to millions of rows).
        cached = runtime.services.get("dashboard.figures")
        max_age = timedelta(seconds=runtime.config["dashboard_cache_seconds"])
        if cached is None or not now - max_age < cached["counted_at"] <= now:
            cached = dashboard_figures(session, now)
            runtime.services["dashboard.figures"] = cached
        return cached

    @expose("/")
    def index(self):
        session = get_session()
        runtime = session.info["runtime"]
        now = runtime.now()
        actor = current_actor()
        page = {"counted_at": now, "lang": str(get_locale()),
                "overall": actor.sees_everything,
                "operations": actor.has_role("ra_admin"),
                # the certificate list's filter takes the time as text
                "cutoffs": {days: (now + timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S")
                            for days in (30, 60)}}
        if page["overall"]:
            page.update(self._overall(session, runtime, now))
        elif actor.has_role("network_contact"):
            page["institutes"] = institute_figures(session, now, set(actor.institutes()))
        if actor.has_role("network_contact") and actor.person_id is not None:
            page["digest"] = session.get(Person, actor.person_id).weekly_digest
            page["digest_form"] = Form()
        if page["operations"]:  # not cached: the clock of each case is the point
            page["reports"] = [(r, colon_serial(r.serial), time_left(r.due_at, now)) for r in session.exec(
                select(ProblemReport).where(ProblemReport.status == "open")
                .order_by(ProblemReport.due_at))]
        if actor.has_role("id_verifier"):
            page["identity"] = identity_checks_today(session, now, runtime.config["timezone"])
        views = {view.endpoint: view for view in self.admin._views}
        return self.render("console/dashboard.html", list_url=list_url, views=views,
                           value_label=value_label, **page)

    @expose("/digest", methods=["POST"])
    @requires_roles("network_contact")
    def digest(self):
        """A network contact orders or stops the weekly digest of their figures."""
        if not Form().validate_on_submit():
            abort(400)
        wanted = request.form.get("weekly_digest")
        if wanted not in ("on", "off"):
            flash(_("Choose whether you want the weekly digest."), "error")
            return redirect(url_for(".index"))
        session = get_session()
        set_weekly_digest(session, current_actor(), wanted == "on", str(get_locale()))
        session.commit()
        flash(_("You will receive the weekly digest by e-mail.") if wanted == "on"
              else _("You will no longer receive the weekly digest."), "success")
        return redirect(url_for(".index"))

    @expose("/export/institutes.csv")  # under /export/, like every list's CSV
    @requires_roles("ra_admin", "auditor")
    def institutes_csv(self):
        """The per-institute figures as CSV: an audited export, like every other."""
        actor = current_actor()
        session = get_session()
        runtime = session.info["runtime"]
        now = runtime.now()
        lang = str(get_locale())
        audit.append_event(session, entity_type="export", entity_id="institute_figures",
                           trigger="export", actor=actor.username, role="ra_admin" if actor.has_role("ra_admin") else "auditor",
                           ip=actor.ip, data={"format": "csv"})
        session.commit()
        titles = [_("Institute code"), _("Institute"), _("Waiting for confirmation"),
                  _("Waiting since"), _("Challenges unanswered for a week"),
                  _("Expiring within 30 days"), _("Expiring within 60 days"),
                  _("Revocations scheduled")]
        rows = [[f.code, f.name_de if lang == "de" else f.name_en, f.waiting,
                 local_time(f.waiting_since), f.unanswered_week, f.expiring_30,
                 f.expiring_60, f.revocations_scheduled]
                for f in institute_figures(session, now)]
        return Response("".join(csv_lines([titles, *rows])), mimetype="text/csv", headers={
            "Content-Disposition": "attachment;filename=institute-figures.csv"})
