"""GET /metrics: request, pool, query, login and rate-limit metrics, with bounded labels only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2
import pytest
from prometheus_client import generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.testclient import TestClient

from neuropilot.app import create_app
from neuropilot.cli import MULTIPROC_ENV, metrics_directory
from neuropilot.metrics import Metrics, forget_dead_workers
from tests.conftest import Person, settings_for
from tests.pg import Db
from tests.serving import serve_env, served


def scrape(client: TestClient, **headers: str) -> str:
    r = client.get("/metrics", headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return r.text


def value(text: str, prefix: str) -> float:
    lines = [line for line in text.splitlines() if line.startswith(prefix)]
    assert lines, f"no sample starts with {prefix}"
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines)


def test_requests_are_counted_by_route_template_never_by_raw_path(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str]
) -> None:
    client.get(f"/v1/items/{kitchen['FLOUR']}", headers=people["viewer"].headers)
    client.get("/v1/nothing/here")
    text = scrape(client)
    assert 'neuropilot_http_requests_total{method="GET",route="/v1/items/{id}",status="200"} 1.0' in text
    assert 'route="<unmatched>",status="404"' in text
    assert kitchen["FLOUR"] not in text and people["viewer"].id not in text and "@example.com" not in text
    assert value(text, 'neuropilot_http_request_duration_seconds_count{method="GET",route="/v1/items/{id}"') == 1


def test_pool_and_named_query_metrics(client: TestClient, people: dict[str, Person]) -> None:
    client.get("/v1/items", headers=people["viewer"].headers)
    text = scrape(client)
    assert value(text, "neuropilot_db_pool_max") == 4
    assert "neuropilot_db_pool_available" in text and "neuropilot_db_pool_waiting" in text
    assert value(text, 'neuropilot_db_query_duration_seconds_count{query="ListItems"}') == 1
    assert value(text, 'neuropilot_db_query_duration_seconds_count{query="SetRequestContext"}') >= 1


def test_cached_children_count_every_observation_under_its_own_labels() -> None:
    metrics = Metrics(dict)
    for status in (200, 200, 404):
        metrics.observe_request("/v1/items", "GET", status, 0.002)
    for _ in range(3):
        metrics.observe_query("ListItems", 0.001)
    metrics.observe_query("GetItem", 0.3)
    text = generate_latest(metrics.registry).decode()
    assert value(text, 'neuropilot_http_requests_total{method="GET",route="/v1/items",status="200"}') == 2
    assert value(text, 'neuropilot_http_requests_total{method="GET",route="/v1/items",status="404"}') == 1
    latency = 'neuropilot_http_request_duration_seconds_sum{method="GET",route="/v1/items",status="200"}'
    assert value(text, latency) == 0.004
    assert value(text, 'neuropilot_db_query_duration_seconds_count{query="ListItems"}') == 3
    assert value(text, 'neuropilot_db_query_duration_seconds_bucket{le="0.25",query="GetItem"}') == 0
    assert value(text, 'neuropilot_db_query_duration_seconds_bucket{le="0.5",query="GetItem"}') == 1


def test_slow_queries_are_counted_and_logged_by_name_without_parameters(
    database: Db, people: dict[str, Person], capsys: pytest.CaptureFixture[str]
) -> None:
    with TestClient(create_app(settings_for(database, slow_query_ms=-1))) as c:
        c.get("/v1/items?q=secret-search-term", headers=people["viewer"].headers)
        text = scrape(c)
    assert value(text, 'neuropilot_db_slow_queries_total{query="ListItems"}') == 1
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"slow_query"' in line]
    assert any(entry["query"] == "ListItems" for entry in logged)
    assert "secret-search-term" not in json.dumps(logged)


def test_login_failures_and_rate_limits_are_counted(database: Db, people: dict[str, Person]) -> None:
    with TestClient(create_app(settings_for(database, rate_limit_ip_per_min=3))) as c:
        for _ in range(4):
            c.post("/v1/auth/login", json={"email": "viewer@example.com", "password": "not the password"})
        text = scrape(c)
    assert value(text, "neuropilot_login_failures_total") == 3
    assert value(text, 'neuropilot_rate_limited_total{limit="ip"}') == 1


def test_metrics_token_is_required_when_configured(database: Db) -> None:
    with TestClient(create_app(settings_for(database, metrics_token="s3cret-scrape-token"))) as c:
        assert c.get("/metrics").status_code == 401
        assert c.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert "neuropilot_http_requests" in scrape(c, Authorization="Bearer s3cret-scrape-token")


def test_last_backup_time_comes_from_the_backup_jobs_textfile(database: Db, tmp_path: Path) -> None:
    with TestClient(create_app(settings_for(database, backup_dir=tmp_path))) as c:
        assert "neuropilot_backup_last_success_timestamp_seconds" not in scrape(c)
        (tmp_path / "neuropilot_backup.prom").write_text(
            "# TYPE neuropilot_backup_last_success_timestamp_seconds gauge\n"
            "neuropilot_backup_last_success_timestamp_seconds 1795000000\n"
        )
        assert value(scrape(c), "neuropilot_backup_last_success_timestamp_seconds") == 1795000000


def test_alert_rules_use_only_metrics_the_service_exposes(client: TestClient) -> None:
    import re

    import yaml

    rules = yaml.safe_load((Path(__file__).parents[1] / "ops/prometheus/alerts.yml").read_text())
    alerts = {rule["alert"]: rule for group in rules["groups"] for rule in group["rules"]}
    assert {
        "NeuroPilotAPIDown",
        "NeuroPilotHighLatency",
        "NeuroPilotServerErrors",
        "NeuroPilotPoolNearExhaustion",
        "NeuroPilotBackupTooOld",
    } <= set(alerts)
    exposed = set(re.findall(r"^# TYPE (\S+)", scrape(client), re.MULTILINE)) | {
        "neuropilot_backup_last_success_timestamp_seconds",
        "up",
    }
    for name, rule in alerts.items():
        assert rule["labels"]["severity"] in ("warning", "critical") and rule["annotations"]["summary"]
        used = {m.removesuffix("_bucket") for m in re.findall(r"\b(neuropilot_\w+|up)\b", rule["expr"])}
        assert used <= exposed, f"{name} uses {used - exposed}"


# --- several workers ----------------------------------------------------------------------------


def _unmatched_per_worker(directory: Path) -> dict[str, float]:
    """Each worker's own count of GET <unmatched> 404, read from its file in the multiprocess directory."""
    counts: dict[str, float] = {}
    for path in directory.glob("counter_*.db"):
        for metric in MultiProcessCollector.merge([str(path)], accumulate=False):
            for sample in metric.samples:
                if sample.name == "neuropilot_http_requests_total" and sample.labels.get("route") == "<unmatched>":
                    counts[path.name] = counts.get(path.name, 0) + sample.value
    return {name: n for name, n in counts.items() if n}


def _scrape(base: str) -> str:
    r = httpx2.get(f"{base}/metrics", timeout=5)  # a new connection: either worker may answer
    assert r.status_code == 200
    return r.text


def _eventually(read: Callable[[], float], want: float, within_s: float = 5) -> float:
    deadline = time.monotonic() + within_s
    while (got := read()) != want and time.monotonic() < deadline:
        time.sleep(0.1)
    return got


def test_one_scrape_reports_every_workers_requests(database: Db, tmp_path: Path) -> None:
    directory = tmp_path / "metrics"
    directory.mkdir()
    (directory / "counter_1.db").write_bytes(b"left over by an earlier server run")
    env = serve_env(
        database,
        tmp_path / "data",
        NEUROPILOT_WORKERS="2",
        PROMETHEUS_MULTIPROC_DIR=str(directory),
        NEUROPILOT_RATE_LIMIT_IP_PER_MIN="0",
    )
    with served(env, tmp_path / "serve.log") as base, ThreadPoolExecutor(16) as pool:
        assert not (directory / "counter_1.db").exists()  # cleaned at start: no earlier run's counts
        sent = 0
        while len(_unmatched_per_worker(directory)) < 2 and sent < 3000:  # until both workers have answered some
            statuses = list(pool.map(lambda _: httpx2.get(f"{base}/v1/nothing/here", timeout=5).status_code, range(32)))
            assert statuses == [404] * 32
            sent += 32
        per_worker = _unmatched_per_worker(directory)
        assert len(per_worker) == 2 and all(n < sent for n in per_worker.values())  # spread over both
        assert sum(per_worker.values()) == sent
        unmatched = 'neuropilot_http_requests_total{method="GET",route="<unmatched>",status="404"}'
        assert _eventually(lambda: value(_scrape(base), unmatched), sent) == sent
        scrapes = [_scrape(base) for _ in range(8)]
        assert [value(text, unmatched) for text in scrapes] == [sent] * 8  # whichever worker answered
        assert all(
            value(text, 'neuropilot_http_request_duration_seconds_count{method="GET",route="<unmatched>"') == sent
            for text in scrapes
        )
        assert _eventually(lambda: value(_scrape(base), "neuropilot_db_pool_max"), 6) == 6  # 3 per worker, summed
        assert value(_scrape(base), "neuropilot_db_pool_size") >= 2  # at least one connection per worker
        assert len(list(directory.glob("gauge_livesum_*.db"))) == 2
    assert list(directory.glob("gauge_livesum_*.db")) == []  # the workers withdrew their live gauges on exit


def test_serve_gives_several_workers_a_fresh_metrics_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(MULTIPROC_ENV, raising=False)
    with metrics_directory(1):
        assert MULTIPROC_ENV not in os.environ  # one worker: in-process metrics, nothing on disk
    with metrics_directory(2):
        made = Path(os.environ[MULTIPROC_ENV])
        assert made.is_dir() and list(made.iterdir()) == []
        (made / "counter_123.db").write_bytes(b"x")
    assert not made.exists() and MULTIPROC_ENV not in os.environ  # removed when the server stops
    configured = tmp_path / "configured"
    configured.mkdir()
    (configured / "histogram_9.db").write_bytes(b"x")
    (configured / "keep.txt").write_text("not ours")
    monkeypatch.setenv(MULTIPROC_ENV, str(configured))
    with metrics_directory(2):
        assert sorted(p.name for p in configured.iterdir()) == ["keep.txt"]
    assert configured.is_dir()


def test_a_new_worker_removes_the_live_gauges_of_workers_that_died(tmp_path: Path) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    for pid in (gone.pid, os.getpid()):
        (tmp_path / f"gauge_livesum_{pid}.db").write_bytes(b"")
    (tmp_path / f"counter_{gone.pid}.db").write_bytes(b"")
    forget_dead_workers(str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"gauge_livesum_{os.getpid()}.db", f"counter_{gone.pid}.db"]  # a dead worker's counts still count
    )
