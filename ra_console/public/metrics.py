"""/metrics for Prometheus: the web process's counters, and figures read from the database
and the CA folder at each scrape (so they are right whichever process answers). Readable
from metrics.allowed_networks, or with the bearer token RA_METRICS_TOKEN."""

from __future__ import annotations

import hmac
import ipaddress
import os
from datetime import datetime

from flask import Blueprint, Flask, Response, abort, current_app, request
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from ra_console.adapters.health import crl_next_updates
from ra_console.adapters.heartbeat import heartbeats
from ra_console.core.config import ConfigError
from ra_console.core.db import aware
from ra_console.queries import operations
from ra_console.web.access import public

bp = Blueprint("metrics", __name__)
LATENCY_BUCKETS = (1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600)


class OperationsCollector:
    """Gauges computed at scrape time: a handful of small queries."""

    def __init__(self, runtime):
        self.runtime = runtime

    def collect(self):
        now = self.runtime.now()
        with self.runtime.session() as session:
            backlog = operations.outbox_backlog(session)
            errors = operations.ca_errors(session)
            runs = operations.last_job_runs(session)
            runners = heartbeats(session)
            latencies = operations.issuance_latencies(session,
                                                      now - operations.LATENCY_WINDOW)
        outbox = GaugeMetricFamily("ra_outbox_messages", "Outbox messages not done yet "
                                   "(pending: the depth; dead: given up)", labels=["kind", "state"])
        for kind, state, count in backlog:
            outbox.add_metric([kind, state], count)
        yield outbox
        ca = GaugeMetricFamily("ra_ca_errors", "CA calls that failed: retrying (pending) or "
                               "given up (dead)", labels=["kind", "state"])
        for kind, state, count in errors:
            ca.add_metric([kind, state], count)
        yield ca
        yield _histogram(latencies)
        crl = GaugeMetricFamily("ra_crl_next_update_timestamp_seconds",
                                "nextUpdate of the local CA's CRLs", labels=["crl"])
        for name, moment in crl_next_updates(self.runtime.config["pki.local_ca_path"]).items():
            crl.add_metric([name], moment.timestamp())
        yield crl
        seen = GaugeMetricFamily("ra_runner_heartbeat_timestamp_seconds",
                                 "Last heartbeat of each job runner", labels=["runner"])
        leader = GaugeMetricFamily("ra_runner_leader", "1 for the job runner that "
                                   "schedules the sweeps", labels=["runner"])
        for row in runners:
            seen.add_metric([row.runner], aware(row.seen_at).timestamp())
            leader.add_metric([row.runner], 1 if row.leader else 0)
        yield seen
        yield leader
        swept = GaugeMetricFamily("ra_job_last_run_timestamp_seconds",
                                  "Start of each job sweep's last run", labels=["job"])
        failed = GaugeMetricFamily("ra_job_last_run_failed", "1 when the job sweep's last "
                                   "run failed", labels=["job"])
        for job, run in sorted(runs.items()):
            swept.add_metric([job], aware(datetime.fromisoformat(run["at"])).timestamp())
            failed.add_metric([job], 1 if run.get("error") else 0)
        yield swept
        yield failed


def _histogram(latencies: list[float]) -> HistogramMetricFamily:
    buckets = [(str(bound), sum(1 for v in latencies if v <= bound))
               for bound in LATENCY_BUCKETS] + [("+Inf", len(latencies))]
    return HistogramMetricFamily(
        "ra_issuance_latency_seconds", "From sending to issued, certificates issued in the "
        "last 24 hours", buckets=buckets, sum_value=sum(latencies))


def _process_metrics() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # gunicorn workers: sum them all
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def _may_read() -> bool:
    token = current_app.extensions["ra_runtime"].config["metrics.token"]
    sent = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return True
    try:
        client = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(client in network for network in current_app.extensions["ra_metrics_networks"])


@bp.route("/metrics")
@public
def metrics():
    if not _may_read():
        abort(403)
    operations_registry = CollectorRegistry(auto_describe=False)
    operations_registry.register(OperationsCollector(current_app.extensions["ra_runtime"]))
    body = _process_metrics() + generate_latest(operations_registry)
    return Response(body, content_type=CONTENT_TYPE_LATEST,
                    headers={"Cache-Control": "no-store"})


def init_app(app: Flask, config: dict) -> None:
    try:
        app.extensions["ra_metrics_networks"] = [
            ipaddress.ip_network(n, strict=False) for n in config["metrics.allowed_networks"]]
    except ValueError as exc:
        raise ConfigError(f"key 'metrics.allowed_networks': {exc}") from None
    app.register_blueprint(bp)
