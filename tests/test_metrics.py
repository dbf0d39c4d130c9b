"""GET /metrics: request, pool, query, login and rate-limit metrics, with bounded labels only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from neuropilot.app import create_app
from tests.conftest import Person, settings_for
from tests.pg import Db


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
