from __future__ import annotations

import time

from starlette.testclient import TestClient

from neuropilot.app import create_app
from tests.conftest import settings_for
from tests.pg import Cluster, Db


def test_health_ok(client: TestClient) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["api"] == "ok"
    assert body["database"] == "ok"
    assert body["timestamp"].endswith("Z")


def test_health_503_fast_when_database_unreachable(database: Db) -> None:
    settings = settings_for(database, database_url="postgresql://nobody@127.0.0.1:1/none?connect_timeout=1")
    with TestClient(create_app(settings)) as c:
        started = time.monotonic()
        r = c.get("/health")
        elapsed = time.monotonic() - started
    assert r.status_code == 503
    assert r.json()["database"] == "error"
    assert r.headers["content-type"] == "application/json"
    assert "Retry-After" in r.headers
    assert elapsed < 3


def test_health_503_when_database_goes_away_then_recovers(cluster: Cluster) -> None:
    db = cluster.clone()
    try:
        with TestClient(create_app(settings_for(db))) as c:
            assert c.get("/health").status_code == 200
            with cluster.admin() as conn:  # end the app's backends and refuse new ones, as an outage would
                conn.execute(f'alter database "{db.name}" allow_connections false')
                # with a timeout, each call waits until its backend has exited: without one the next request
                # could still find its pooled connection alive (seen once in CI on a fast machine)
                conn.execute(
                    "select pg_terminate_backend(pid, 5000) from pg_stat_activity where datname = %s", (db.name,)
                )
            r = c.get("/health")
            assert r.status_code == 503
            assert r.json()["database"] == "error"
            with cluster.admin() as conn:
                conn.execute(f'alter database "{db.name}" allow_connections true')
            deadline = time.monotonic() + 10
            while c.get("/health").status_code != 200:
                assert time.monotonic() < deadline, "health did not recover"
                time.sleep(0.2)
    finally:
        cluster.drop(db.name)
