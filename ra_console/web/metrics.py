"""Prometheus counters of the web processes: requests and sign-ins. With several gunicorn
workers set PROMETHEUS_MULTIPROC_DIR, so that /metrics sums every worker's counts
(public/metrics.py)."""

from __future__ import annotations

from flask import Flask, request
from prometheus_client import Counter

REQUESTS = Counter("ra_http_requests", "HTTP requests answered",
                   ["method", "endpoint", "status"])
SIGN_INS = Counter("ra_sign_ins", "Sign-in attempts", ["mode", "outcome"])
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def count_sign_in(mode: str, outcome: str) -> None:
    """outcome: "ok", "refused" (attributes missing) or "failed"."""
    SIGN_INS.labels(mode, outcome).inc()


def _count_request(response):
    method = request.method if request.method in METHODS else "other"  # bounded labels
    REQUESTS.labels(method, request.endpoint or "none", str(response.status_code)).inc()
    return response


def init_app(app: Flask) -> None:
    app.after_request(_count_request)
