"""A request id for every web request: in each log line, in the audit events and outbox
messages the request causes, and in the X-Request-ID response header (what a person can
quote to the helpdesk). Always our own: a client-sent id is never trusted."""

from __future__ import annotations

from flask import Flask, g

from ra_console.core.logs import new_request_id, request_id

HEADER = "X-Request-ID"


def _start():
    g.request_id_token = request_id.set(new_request_id())


def _answer(response):
    response.headers[HEADER] = request_id.get() or ""
    return response


def _end(_exc):
    token = g.pop("request_id_token", None)
    if token is not None:
        request_id.reset(token)


def init_app(app: Flask) -> None:
    """Register first, so that even a refusal by the network allow-list has an id."""
    app.before_request(_start)
    app.after_request(_answer)
    app.teardown_request(_end)
