"""ops/grafana/neuropilot.json: a valid Grafana dashboard whose every expression uses only metrics a real
app exposes at /metrics (the alert rules' test does the same for ops/prometheus/alerts.yml)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from tests.conftest import Person
from tests.test_metrics import scrape

DASHBOARD = Path(__file__).parents[1] / "ops/grafana/neuropilot.json"
# Written by the backup job (node_exporter textfile) and read back by /metrics only once a backup ran; `up` is
# Prometheus' own.
NOT_YET_SCRAPED = {"neuropilot_backup_last_success_timestamp_seconds", "up"}
SERIES_SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "counter": ("", "_total"), "gauge": ("",)}
LABELS = {"route", "method", "status", "query", "limit", "le", "job", "instance"}


def exposed_series(text: str) -> set[str]:
    """Every series name a scrape can hold, from its `# TYPE` lines: a histogram's _bucket/_sum/_count too."""
    names = set()
    for name, kind in re.findall(r"^# TYPE (\S+) (\S+)", text, re.MULTILINE):
        base = name.removesuffix("_total") if kind == "counter" else name
        names |= {base + suffix for suffix in SERIES_SUFFIXES.get(kind, ("",))}
    return names


def metrics_in(expr: str) -> set[str]:
    """Metric names in a PromQL expression: identifiers not followed by `(` (functions) nor inside a
    label matcher, grouping clause, string or $variable."""
    stripped = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    stripped = re.sub(r"\{[^}]*\}", "{}", stripped)
    stripped = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", stripped)
    stripped = re.sub(r"\$\w+|\[[^\]]*\]", "", stripped)
    words = re.findall(r"(?<![\w.])([a-zA-Z_:][\w:]*)\b(?!\s*\()", stripped)
    keywords = {"and", "or", "unless", "bool", "offset", "e"}
    return {w for w in words if w not in keywords and not re.fullmatch(r"\d.*", w)}


def panels(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in items:
        yield panel
        yield from panels(panel.get("panels", []))


def dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return data


def test_the_expression_parser_finds_metrics_and_nothing_else() -> None:
    expr = (
        'histogram_quantile(0.95, sum by (le, route) (rate(x_seconds_bucket{job=~"$job", route!="/m"}[5m])))'
        " / clamp_min(sum(rate(y_total[$__rate_interval])), 1e-9) > 0.05 or time() - z"
    )
    assert metrics_in(expr) == {"x_seconds_bucket", "y_total", "z"}


def test_every_panel_uses_only_metrics_the_api_exposes(client: TestClient, people: dict[str, Person]) -> None:
    client.get("/v1/items", headers=people["viewer"].headers)  # a request and a named query have been observed
    available = exposed_series(scrape(client)) | NOT_YET_SCRAPED
    assert {"neuropilot_http_request_duration_seconds_bucket", "neuropilot_http_requests_total"} <= available
    used_everywhere = set()
    for panel in panels(dashboard()["panels"]):
        for target in panel.get("targets", []):
            used = metrics_in(target["expr"])
            assert used, f"panel {panel['title']!r} target {target['refId']} names no metric"
            assert used <= available, f"panel {panel['title']!r} uses {used - available}"
            grouped = re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", target["expr"])
            labels = {label.strip() for group in grouped for label in group.split(",")}
            assert labels <= LABELS, f"panel {panel['title']!r} groups by {labels - LABELS}"
            used_everywhere |= used
    for variable in dashboard()["templating"]["list"]:
        if variable["type"] == "query":
            match = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", variable["definition"])
            assert match, variable["definition"]
            assert metrics_in(match[1]) <= available and match[2] in LABELS, variable["definition"]
    wanted = {
        "neuropilot_http_requests_total",
        "neuropilot_http_request_duration_seconds_bucket",
        "neuropilot_db_pool_size",
        "neuropilot_db_pool_available",
        "neuropilot_db_pool_waiting",
        "neuropilot_db_query_duration_seconds_bucket",
        "neuropilot_db_slow_queries_total",
        "neuropilot_login_failures_total",
        "neuropilot_rate_limited_total",
        "neuropilot_backup_last_success_timestamp_seconds",
    }
    assert wanted <= used_everywhere, f"no panel shows {wanted - used_everywhere}"


def test_the_dashboard_is_valid_grafana_json() -> None:
    data = dashboard()
    assert isinstance(data["schemaVersion"], int) and data["schemaVersion"] >= 36
    assert data["uid"] and data["title"] and data["panels"]
    variables = {v["name"]: v for v in data["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    ids = [panel["id"] for panel in panels(data["panels"])]
    assert len(ids) == len(set(ids)), "panel ids are unique"
    cells: set[tuple[int, int]] = set()
    for panel in panels(data["panels"]):
        grid = panel["gridPos"]
        assert all(isinstance(grid[k], int) and grid[k] >= 0 for k in ("h", "w", "x", "y")), panel["title"]
        assert grid["w"] > 0 and grid["h"] > 0 and grid["x"] + grid["w"] <= 24, panel["title"]
        mine = {
            (x, y) for x in range(grid["x"], grid["x"] + grid["w"]) for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not cells & mine, f"panel {panel['title']!r} overlaps another"
        cells |= mine
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        refs = [t["refId"] for t in panel["targets"]]
        assert refs and len(refs) == len(set(refs)), panel["title"]
        assert all(t["datasource"] == panel["datasource"] for t in panel["targets"]), panel["title"]
