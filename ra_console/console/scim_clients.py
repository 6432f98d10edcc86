"""SCIM clients (an IdM pushing persons to /scim/v2/): RA admins create them, rotate their
tokens and delete them; auditors see them. A token is shown once, on the page that
answers the POST (never in a flash message: the session cookie is signed, not secret)."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from sqlmodel import select

from ra_console.console.base import GuardedView, requires_roles
from ra_console.core.db import get_session
from ra_console.models import ScimClient
from ra_console.usecases.scim_clients import (
    ScimClientError,
    create_client,
    delete_client,
    rotate_token,
)
from ra_console.web.current import current_actor
from ra_console.web.forms import Form
from ra_console.web.messages import SCIM_CLIENT_MESSAGES


class ScimClientsView(GuardedView):
    """The SCIM clients and their tokens."""

    def _page(self, token: str | None = None, token_for: str | None = None):
        session = get_session()
        clients = session.exec(select(ScimClient).order_by(ScimClient.name)).all()
        return self.render("console/scim_clients.html", form=Form(), clients=clients,
                           may_write=self.may_write, token=token, token_for=token_for)

    @expose("/")
    def index(self):
        return self._page()

    @expose("/new", methods=["POST"])
    @requires_roles("ra_admin")
    def create(self):
        session = self._checked_session()
        name = request.form.get("name", "")
        try:
            token = create_client(session, name, current_actor(),
                                  session.info["runtime"].now())
        except ScimClientError as exc:
            flash(SCIM_CLIENT_MESSAGES[exc.code](exc.params), "error")
            return redirect(url_for(".index"))
        session.commit()
        return self._page(token=token, token_for=name.strip())

    @expose("/<int:row_id>/rotate", methods=["POST"])
    @requires_roles("ra_admin")
    def rotate(self, row_id: int):
        session = self._checked_session()
        client = session.get(ScimClient, row_id) or abort(404)
        token = rotate_token(session, client, current_actor(), session.info["runtime"].now())
        session.commit()
        return self._page(token=token, token_for=client.name)

    @expose("/<int:row_id>/delete", methods=["POST"])
    @requires_roles("ra_admin")
    def delete(self, row_id: int):
        session = self._checked_session()
        client = session.get(ScimClient, row_id) or abort(404)
        delete_client(session, client, current_actor())
        session.commit()
        flash(_("The SCIM client is deleted; its token no longer works."), "success")
        return redirect(url_for(".index"))

    @staticmethod
    def _checked_session():
        if not Form().validate_on_submit():
            abort(400)
        return get_session()
