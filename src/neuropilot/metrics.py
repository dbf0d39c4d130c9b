"""Prometheus metrics (CONTRACT §7), one registry per app, served at GET /metrics.

Labels are bounded: route templates (never raw paths), methods, statuses, query names, limit
kinds. No user ids, emails or tokens ever become a label.

With several workers (`neuropilot serve` sets PROMETHEUS_MULTIPROC_DIR before it starts them),
prometheus_client writes every value to a per-process mmap'd file in that directory and a scrape
merges the files of all workers (MultiProcessCollector), so whichever worker answers reports the
whole server. Pool gauges are summed over live workers (`livesum`); a worker's live-gauge file goes
when it stops (mark_process_dead), and a new worker removes those of workers that died unannounced.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import os
import re
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess, values
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

from neuropilot.errors import Problem

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
BACKUP_METRIC = "neuropilot_backup_last_success_timestamp_seconds"
_BACKUP_LINE = re.compile(rf"^{BACKUP_METRIC}\s+([0-9.eE+]+)\s*$", re.MULTILINE)
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


POOL_GAUGES = (
    ("neuropilot_db_pool_size", "pool_size", "Connections the pool holds"),
    ("neuropilot_db_pool_available", "pool_available", "Idle connections ready for a request"),
    ("neuropilot_db_pool_waiting", "requests_waiting", "Requests waiting for a connection"),
    ("neuropilot_db_pool_max", "pool_max", "Most connections the pool may open"),
)
POOL_REFRESH_S = 1.0  # how stale another worker's pool gauges may be in a scrape
_LIVE_GAUGE_FILE = re.compile(r"^gauge_live\w+_(\d+)\.db$")


def multiprocess_dir() -> str | None:
    """PROMETHEUS_MULTIPROC_DIR, if prometheus_client runs in multiprocess mode (it decides when first imported)."""
    if not getattr(values.ValueClass, "_multiprocess", False):
        return None
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def forget_dead_workers(directory: str) -> None:
    """Remove the live-gauge files of workers that died without a shutdown (killed, crashed)."""
    for path in Path(directory).iterdir():
        if (match := _LIVE_GAUGE_FILE.match(path.name)) and not _alive(int(match[1])):
            with contextlib.suppress(FileNotFoundError):  # another new worker may remove it first
                multiprocess.mark_process_dead(int(match[1]), directory)  # type: ignore[no-untyped-call]


class _PoolCollector(Collector):
    """Pool size, idle connections and waiting requests, read at scrape time (one process)."""

    def __init__(self, stats: Callable[[], dict[str, int]]) -> None:
        self._stats = stats

    def collect(self) -> Iterator[GaugeMetricFamily]:
        stats = self._stats()
        for name, key, text in POOL_GAUGES:
            yield GaugeMetricFamily(name, text, value=stats.get(key, 0))


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
    def __init__(
        self,
        pool_stats: Callable[[], dict[str, int]],
        backup_file: Path | None = None,
        multiprocess_dir: str | None = None,
    ) -> None:
        self.registry = CollectorRegistry()  # this app's metrics (tests build several apps in one process)
        self.multiprocess_dir = multiprocess_dir
        self._pool_stats = pool_stats
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
        # Each labelled child's bound method, by its labels: `.labels()` checks and joins its arguments and
        # takes a lock on every call. Filled on first use, in the worker that serves (Metrics is made in each
        # worker, after the fork), so a child is never shared across processes; as bounded as the labels.
        self._request_children: dict[tuple[str, str, int], tuple[Callable[[], None], Callable[[float], None]]] = {}
        self._query_children: dict[str, Callable[[float], None]] = {}
        self._pool_gauges: list[tuple[Gauge, str]] = []
        if multiprocess_dir is None:
            self.registry.register(_PoolCollector(pool_stats))
            self.registry.register(_BackupCollector(backup_file))
            self.scrape_registry = self.registry
        else:
            self._pool_gauges = [
                (Gauge(name, text, multiprocess_mode="livesum", registry=self.registry), key)
                for name, key, text in POOL_GAUGES
            ]
            self.scrape_registry = CollectorRegistry()  # every worker's files, merged at each scrape
            multiprocess.MultiProcessCollector(self.scrape_registry, path=multiprocess_dir)  # type: ignore[no-untyped-call]
            self.scrape_registry.register(_BackupCollector(backup_file))  # one file for the whole server

    def refresh_pool(self) -> None:
        """Write this worker's pool gauges into its file (multiprocess mode; single mode reads them at scrape)."""
        if self._pool_gauges:
            stats = self._pool_stats()
            for gauge, key in self._pool_gauges:
                gauge.set(stats.get(key, 0))

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The worker's lifetime: pool gauges kept fresh, and its live gauges withdrawn when it stops."""
        if self.multiprocess_dir is None:
            yield
            return
        forget_dead_workers(self.multiprocess_dir)
        refresher = asyncio.create_task(self._refresh_forever())
        try:
            yield
        finally:
            refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await refresher
            multiprocess.mark_process_dead(os.getpid(), self.multiprocess_dir)  # type: ignore[no-untyped-call]

    async def _refresh_forever(self) -> None:
        while True:
            self.refresh_pool()
            await asyncio.sleep(POOL_REFRESH_S)

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        children = self._request_children.get((route, method, status))
        if children is None:
            labels = (route, method, str(status))
            children = (self.requests.labels(*labels).inc, self.latency.labels(*labels).observe)
            self._request_children[(route, method, status)] = children
        inc, observe = children
        inc()
        observe(seconds)

    def observe_query(self, name: str, seconds: float) -> None:
        """The named query's latency (slow queries are counted by the caller, which also logs them)."""
        observe = self._query_children.get(name)
        if observe is None:
            observe = self._query_children[name] = self.query_latency.labels(name).observe
        observe(seconds)


async def metrics_endpoint(request: Request) -> Response:
    """GET /metrics: Prometheus text; behind `Authorization: Bearer <NEUROPILOT_METRICS_TOKEN>` if set."""
    token: str | None = request.state.settings.metrics_token
    if token is not None:
        sent = request.headers.get("authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            raise Problem(401, "This endpoint needs the metrics token.", headers={"WWW-Authenticate": "Bearer"})
    metrics: Metrics = request.state.metrics
    metrics.refresh_pool()  # the answering worker's own gauges are exact
    return Response(generate_latest(metrics.scrape_registry), media_type=CONTENT_TYPE)
