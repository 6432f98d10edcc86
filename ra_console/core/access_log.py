"""gunicorn's access log as JSON lines, like the app's own log (core/logs.py): one object
per request with the request id the app gave it (its X-Request-ID response header), so a
log collector joins the access line to the request's app log lines and audit events.
Used by deploy/systemd/ra-console-web.service: --logger-class
ra_console.core.access_log.JsonAccessLogger. E-mail addresses (in a query string, a
referrer) are replaced by <address>, as in the app's log."""

from __future__ import annotations

import json
import time
from urllib.parse import unquote_plus

from gunicorn.glogging import Logger

from ra_console.core.logs import ADDRESS


def _asctime() -> str:  # the app's JSON lines' format (logging's default)
    now = time.time()
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))
    return f"{stamp},{int(now % 1 * 1000):03d}"


def _readable(text: str) -> str:
    """Decoded, so that a percent-encoded address (jane%40uni…) is found and removed too."""
    return ADDRESS.sub("<address>", unquote_plus(text))


def access_entry(resp, environ, request_time) -> dict:
    """The access line's fields. REMOTE_ADDR is the client's: the app's ProxyFix
    (auth.proxy_hops) has replaced the proxy's address in this same environ."""
    headers = resp.headers.items() if hasattr(resp.headers, "items") else resp.headers
    request_id = next((value for name, value in headers if name.lower() == "x-request-id"),
                      "-")
    status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
    method, path = environ.get("REQUEST_METHOD", "-"), environ.get("PATH_INFO", "")
    return {
        "asctime": _asctime(), "level": "INFO", "name": "gunicorn.access",
        "message": f"{method} {path} {status}", "request_id": request_id,
        "remote_addr": environ.get("REMOTE_ADDR", "-"), "method": method, "path": path,
        "query": _readable(environ.get("QUERY_STRING", "")), "status": int(status),
        "bytes": getattr(resp, "sent", None),
        "duration_ms": round(request_time.total_seconds() * 1000, 1),
        "user_agent": environ.get("HTTP_USER_AGENT", ""),
        "referer": _readable(environ.get("HTTP_REFERER", "")),
    }


class JsonAccessLogger(Logger):
    """gunicorn's logger with the access line replaced; its error log is unchanged."""

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        try:
            line = json.dumps(access_entry(resp, environ, request_time), ensure_ascii=False)
            self.access_log.info(ADDRESS.sub("<address>", line))
        except Exception:  # noqa: BLE001 - as gunicorn's own: a log line never fails a request
            self.exception("access log line failed")
