"""Prometheus metrics (CONTRACT §7), one registry per app, served at GET /metrics.

Labels are bounded: route templates (never raw paths), methods, statuses, query names, limit
kinds. No user ids, emails or tokens ever become a label.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

from neuropilot.errors import Problem

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
BACKUP_METRIC = "neuropilot_backup_last_success_timestamp_seconds"
_BACKUP_LINE = re.compile(rf"^{BACKUP_METRIC}\s+([0-9.eE+]+)\s*$", re.MULTILINE)
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _PoolCollector(Collector):
    """Pool size, idle connections and waiting requests, read at scrape time."""

    def __init__(self, stats: Callable[[], dict[str, int]]) -> None:
        self._stats = stats

    def collect(self) -> Iterator[GaugeMetricFamily]:
        stats = self._stats()
        for name, key, text in (
            ("neuropilot_db_pool_size", "pool_size", "Connections the pool holds"),
            ("neuropilot_db_pool_available", "pool_available", "Idle connections ready for a request"),
            ("neuropilot_db_pool_waiting", "requests_waiting", "Requests waiting for a connection"),
        ):
            yield GaugeMetricFamily(name, text, value=stats.get(key, 0))
        yield GaugeMetricFamily(
            "neuropilot_db_pool_max", "Most connections the pool may open", value=stats.get("pool_max", 0)
        )


class _BackupCollector(Collector):
    """The last successful backup's time, from the textfile the backup job writes (node_exporter format)."""

    def __init__(self, path: Path | None) -> None:
        self._path = path

    def collect(self) -> Iterator[GaugeMetricFamily]:
        if self._path is None:
            return
        try:
            match = _BACKUP_LINE.search(self._path.read_text())
        except OSError:
            return
        if match:
            yield GaugeMetricFamily(BACKUP_METRIC, "Unix time of the last successful backup", value=float(match[1]))


class Metrics:
    def __init__(self, pool_stats: Callable[[], dict[str, int]], backup_file: Path | None = None) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "neuropilot_http_requests", "HTTP requests", ["route", "method", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "neuropilot_http_request_duration_seconds",
            "HTTP request latency",
            ["route", "method", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.query_latency = Histogram(
            "neuropilot_db_query_duration_seconds",
            "Named query latency",
            ["query"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.slow_queries = Counter(
            "neuropilot_db_slow_queries",
            "Named queries slower than NEUROPILOT_SLOW_QUERY_MS",
            ["query"],
            registry=self.registry,
        )
        self.login_failures = Counter("neuropilot_login_failures", "Failed sign-ins", registry=self.registry)
        self.rate_limited = Counter(
            "neuropilot_rate_limited", "Requests refused by a rate limit", ["limit"], registry=self.registry
        )
        self.registry.register(_PoolCollector(pool_stats))
        self.registry.register(_BackupCollector(backup_file))

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        labels = (route, method, str(status))
        self.requests.labels(*labels).inc()
        self.latency.labels(*labels).observe(seconds)


async def metrics_endpoint(request: Request) -> Response:
    """GET /metrics: Prometheus text; behind `Authorization: Bearer <NEUROPILOT_METRICS_TOKEN>` if set."""
    token: str | None = request.state.settings.metrics_token
    if token is not None:
        sent = request.headers.get("authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            raise Problem(401, "This endpoint needs the metrics token.", headers={"WWW-Authenticate": "Bearer"})
    metrics: Metrics = request.state.metrics
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE)
