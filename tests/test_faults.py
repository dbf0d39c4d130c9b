"""Database faults: timeouts, killed connections, a read replica, graceful shutdown."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import psycopg
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from neuropilot.app import create_app
from neuropilot.db import ANONYMOUS, Database, request_transaction
from neuropilot.queries import Query
from tests.conftest import Person, settings_for
from tests.pg import Cluster, Db

SLEEP = Query("SleepForTest", "one", "select pg_sleep(%(s)s) as slept", "test")


async def sleepy(request: Request) -> Response:
    async with request_transaction(request) as tx:
        await tx.one(SLEEP, {"s": float(request.query_params["s"])})
    return Response("slept")


def kill_app_connections(cluster: Cluster, db: Db) -> int:
    with cluster.admin() as conn:
        row = conn.execute(
            # the timeout makes each call wait until its backend has exited, so the app's next statement finds it gone
            "select count(pg_terminate_backend(pid, 5000)) from pg_stat_activity where datname = %s and usename = %s",
            (db.name, db.app_role),
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_statement_timeout_is_a_503_and_the_connection_is_reused(database: Db, people: dict[str, Person]) -> None:
    app = create_app(settings_for(database, statement_timeout_ms=200, pool_min_size=1, pool_max_size=1))
    app.router.routes.append(Route("/test/sleep", sleepy))
    with TestClient(app) as c:
        started = time.monotonic()
        r = c.get("/test/sleep?s=5")
        assert time.monotonic() - started < 2
        assert r.status_code == 503 and r.headers["content-type"] == "application/problem+json"
        assert "retry-after" in r.headers
        assert c.get("/test/sleep?s=0").status_code == 200  # the one pooled connection still works
        assert c.get("/v1/items", headers=people["viewer"].headers).status_code == 200


def test_killed_connections_are_replaced_without_an_error(
    cluster: Cluster, database: Db, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    with TestClient(create_app(settings_for(database, pool_min_size=3, pool_max_size=3))) as c:
        m = people["manager"].headers
        for _ in range(3):
            assert c.get("/v1/items", headers=m).status_code == 200
        assert kill_app_connections(cluster, database) >= 1
        body = {"item_id": kitchen["FLOUR"], "location_id": kitchen["DRY"], "type": "receive", "qty": "1"}
        statuses = [c.post("/v1/movements", json=body, headers=m).status_code for _ in range(6)]
        assert statuses == [201] * 6
        assert c.get("/health").status_code == 200
    assert owner.execute("select count(*) from movement").fetchone() == (6,)


def test_one_statement_requests_are_bounded_by_the_connections_statement_timeout(database: Db) -> None:
    """Database.statement runs in autocommit, so no set_config can bound it: the connection's own
    statement_timeout (a startup option) does, and the connection stays usable."""
    sleep = Query("SleepAsForTest", "many", "select pg_sleep(%(s)s) as slept, %(user_id)s::text as u", "test")

    async def run() -> None:
        db = Database(settings_for(database, statement_timeout_ms=200, pool_min_size=1, pool_max_size=1))
        await db.open()
        try:
            started = time.monotonic()
            with pytest.raises(psycopg.errors.QueryCanceled):
                await db.statement(ANONYMOUS, sleep, {"s": 5}, ("slept", "u"), readonly=True)
            assert time.monotonic() - started < 2
            assert len(await db.statement(ANONYMOUS, sleep, {"s": 0}, ("slept", "u"), readonly=False)) == 1
        finally:
            await db.close()

    asyncio.run(run())


def test_killed_connections_under_one_statement_requests_are_replaced_without_an_error(
    cluster: Cluster, database: Db, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    """The hot read and write (one statement each) after every pooled connection was terminated: the
    server said so (SQLSTATE 57P01), so even the write is safely sent again on a fresh connection."""
    with TestClient(create_app(settings_for(database, pool_min_size=3, pool_max_size=3))) as c:
        h = people["counter"].headers
        body = {"item_id": kitchen["FLOUR"], "location_id": kitchen["DRY"], "qty_on_hand": "4"}
        for _ in range(3):
            assert c.get("/v1/items?category=dairy", headers=h).status_code == 200
        assert kill_app_connections(cluster, database) >= 1
        assert [c.post("/v1/counts", json=body, headers=h).status_code for _ in range(6)] == [201] * 6
        assert kill_app_connections(cluster, database) >= 1
        listed = [c.get("/v1/items?category=dairy", headers=h) for _ in range(6)]
        assert [(r.status_code, len(r.json()["data"])) for r in listed] == [(200, 1)] * 6
    assert owner.execute("select count(*) from inventory_count").fetchone() == (6,)
    assert owner.execute("select count(*) from audit_log where action = 'count.create'").fetchone() == (6,)


def test_an_outage_is_503_then_recovers_without_a_restart_and_loses_no_committed_write(
    cluster: Cluster, database: Db, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    body = {"item_id": kitchen["FLOUR"], "location_id": kitchen["DRY"], "type": "receive", "qty": "1"}
    with TestClient(create_app(settings_for(database, pool_min_size=2, pool_max_size=2, pool_timeout_s=0.5))) as c:
        m = people["manager"].headers
        created = [c.post("/v1/movements", json=body, headers=m).status_code for _ in range(3)]
        with cluster.admin() as conn:
            conn.execute(f'alter database "{database.name}" allow_connections false')
        kill_app_connections(cluster, database)
        during = [c.post("/v1/movements", json=body, headers=m) for _ in range(2)]
        assert {r.status_code for r in during} == {503}
        assert all("retry-after" in r.headers for r in during)
        assert c.get("/health").status_code == 503
        with cluster.admin() as conn:
            conn.execute(f'alter database "{database.name}" allow_connections true')
        deadline = time.monotonic() + 15
        while c.get("/health").status_code != 200:
            assert time.monotonic() < deadline, "no recovery"
            time.sleep(0.2)
        after = c.post("/v1/movements", json=body, headers=m).status_code
    assert created == [201] * 3 and after == 201
    assert owner.execute("select count(*) from movement").fetchone() == (4,)  # every acknowledged write is there


def test_plain_reads_go_to_the_replica_and_writes_and_audited_reads_to_the_primary(
    cluster: Cluster, database: Db, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    replica = cluster.clone()  # stands in for a streaming replica
    try:
        with psycopg.connect(replica.owner_dsn, autocommit=True) as conn:
            conn.execute("insert into item (item_number, name, unit) values ('ONLY-ON-REPLICA', 'r', 'ea')")
        settings = settings_for(database, database_read_url=replica.app_dsn)
        with TestClient(create_app(settings)) as c:
            listed = c.get("/v1/items", headers=people["viewer"].headers).json()["data"]
            assert [i["item_number"] for i in listed] == ["ONLY-ON-REPLICA"]
            by_category = c.get("/v1/items?category=dairy", headers=people["viewer"].headers).json()["data"]
            assert by_category == []  # the one-statement read goes to the replica too
            r = c.post(
                "/v1/items", json={"item_number": "NEW", "name": "n", "unit": "ea"}, headers=people["manager"].headers
            )
            assert r.status_code == 201
            assert c.get("/v1/users", headers=people["admin"].headers).status_code == 200  # audited: primary
        assert owner.execute("select count(*) from item where item_number = 'NEW'").fetchone() == (1,)
        assert owner.execute("select count(*) from audit_log where action = 'user.list'").fetchone() == (1,)
    finally:
        cluster.drop(replica.name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spawned_workers(pid: int) -> list[int]:
    """uvicorn's worker processes under the serve process (multiprocessing spawn children)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid == pid and b"spawn_main" in (proc / "cmdline").read_bytes():
                found.append(int(proc.name))
        except (OSError, ValueError, IndexError):
            continue  # it ended while we looked
    return found


@pytest.fixture(params=[1, 2], ids=["1-worker", "2-workers"])
def server(request: pytest.FixtureRequest, database: Db) -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": database.app_dsn,
        "MIGRATOR_DATABASE_URL": database.owner_dsn,
        "NEUROPILOT_APP_ROLE": database.app_role,
        "NEUROPILOT_JWT_KEYS": ",".join(f"{k}:{s}" for k, s in settings_for(database).jwt_keys),
        "PORT": str(port),
        "NEUROPILOT_SHUTDOWN_GRACE_S": "10",
        "NEUROPILOT_WORKERS": str(request.param),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "neuropilot", "serve"],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx2.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                break
        except httpx2.TransportError:
            pass
        assert time.monotonic() < deadline and proc.poll() is None, "server did not start"
        time.sleep(0.1)
    try:
        assert len(spawned_workers(proc.pid)) == (request.param if request.param > 1 else 0)
        yield proc, port
    finally:
        if proc.poll() is None:
            proc.terminate()  # not kill: uvicorn's workers would outlive it, holding its stdout open
            proc.communicate(timeout=30)


def test_sigterm_drains_in_flight_requests_then_exits(
    server: tuple[subprocess.Popen[str], int], database: Db, people: dict[str, Person], kitchen: dict[str, str]
) -> None:
    proc, port = server
    results: list[int] = []
    with psycopg.connect(database.owner_dsn) as blocker:
        blocker.execute("select * from item where id = %s for update", (kitchen["FLOUR"],))  # the PATCH will wait

        def patch() -> None:
            r = httpx2.patch(
                f"http://127.0.0.1:{port}/v1/items/{kitchen['FLOUR']}",
                json={"name": "Rye flour"},
                headers=people["manager"].headers,
                timeout=20,
            )
            results.append(r.status_code)

        worker = threading.Thread(target=patch)
        worker.start()
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert proc.poll() is None, "exited with a request in flight"
        blocker.rollback()  # let the PATCH through
    worker.join(15)
    out, _ = proc.communicate(timeout=15)
    assert results == [200], out
    assert "Application shutdown complete" in out
    assert proc.returncode in (0, -signal.SIGTERM), out  # uvicorn re-raises SIGTERM once it has drained
