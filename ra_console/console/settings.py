"""RA administration pages without a table of their own: maintenance switch, certificate
profiles and CA connections (their edit pages: profiles.py)."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _

from ra_console.adapters.settings import IssuancePause, issuance_pause, removal_breaker
from ra_console.console.base import GuardedView, requires_roles
from ra_console.console.profiles import ProfileEditing, field_label, validation_label
from ra_console.core.db import get_session
from ra_console.usecases.breaker import confirm_removals
from ra_console.usecases.settings import set_issuance_pause
from ra_console.web.current import current_actor
from ra_console.web.forms import Form


class SettingsView(ProfileEditing, GuardedView):
    """Maintenance switch, and the certificate profiles and CA connections in force."""

    @expose("/", methods=["GET", "POST"])
    def index(self):
        session = get_session()
        runtime = session.info["runtime"]
        form = Form()
        if request.method == "POST":
            if not self.may_write:
                abort(403)
            if not form.validate_on_submit():
                abort(400)
            pause = IssuancePause(paused=bool(request.form.get("paused")),
                                  message_de=request.form.get("message_de", "")[:500],
                                  message_en=request.form.get("message_en", "")[:500])
            set_issuance_pause(session, current_actor(), pause, runtime.now())
            session.commit()
            runtime.invalidate_settings()  # the banner in this process changes at once
            flash(_("Issuance is paused.") if pause.paused else _("Issuance runs again."),
                  "success")
            return redirect(url_for(".index"))
        return self.render("console/settings.html", form=form, pause=issuance_pause(session),
                           breaker=removal_breaker(session), may_write=self.may_write,
                           field_label=field_label, validation_label=validation_label,
                           breaker_percent=runtime.config["lifecycle.breaker_percent"],
                           **self._overview(session, runtime))

    @expose("/removals", methods=["POST"])
    @requires_roles("ra_admin")
    def confirm_removals(self):
        """The circuit breaker paused offboarding: an RA admin lets the run go ahead."""
        if not Form().validate_on_submit():
            abort(400)
        session = get_session()
        if confirm_removals(session, current_actor(), session.info["runtime"].now()):
            session.commit()
            flash(_("Confirmed: the next offboarding run goes ahead."), "success")
        else:
            flash(_("Offboarding is not paused."), "info")
        return redirect(url_for(".index"))
