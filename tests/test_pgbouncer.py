"""Through a real PgBouncer in transaction mode (Neon's pooled endpoints): no session state may
survive a transaction, and server-side prepared statements must be off."""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from starlette.testclient import TestClient

from neuropilot.app import create_app
from neuropilot.db import Database, Identity
from neuropilot.queries import Query
from tests.conftest import Person, settings_for
from tests.pg import Db

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_as(host: str) -> str:
    """PgBouncer refuses to run as root: run it as whoever can reach the server's socket."""
    if host.startswith("/"):
        return pwd.getpwuid(os.stat(host).st_uid).pw_name
    return "nobody"


@pytest.fixture
def bouncer(database: Db) -> Iterator[Db]:
    """A PgBouncer in transaction mode in front of the test database, one server connection per user."""
    if not Path(PGBOUNCER).exists():
        if os.environ.get("CI"):
            pytest.fail("pgbouncer is not installed (apt-get install pgbouncer)")
        pytest.skip("pgbouncer is not installed (apt-get install pgbouncer)")
    target = conninfo_to_dict(database.app_dsn)
    host, port = str(target.get("host") or "127.0.0.1"), str(target.get("port") or 5432)
    listen = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="np-pgbouncer-"))
    workdir.chmod(0o777)
    users = [database.app_role, database.owner_role]
    (workdir / "users.txt").write_text("".join(f'"{u}" ""\n' for u in users))
    (workdir / "pgbouncer.ini").write_text(
        f"[databases]\n{database.name} = host={host} port={port} dbname={database.name}\n"
        f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {listen}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {workdir}/users.txt\npool_mode = transaction\n"
        "default_pool_size = 1\nmax_client_conn = 50\nignore_startup_parameters = extra_float_digits,options\n"
        f"logfile = {workdir}/pgbouncer.log\npidfile = {workdir}/pgbouncer.pid\n"
    )
    for path in workdir.iterdir():
        path.chmod(0o666)
    proc = subprocess.Popen([PGBOUNCER, "-u", _run_as(host), str(workdir / "pgbouncer.ini")])
    dsn = make_conninfo(database.app_dsn, host="127.0.0.1", port=str(listen))
    deadline = time.monotonic() + 10
    while True:
        try:
            psycopg.connect(dsn, connect_timeout=1).close()
            break
        except psycopg.OperationalError:
            assert time.monotonic() < deadline and proc.poll() is None, (workdir / "pgbouncer.log").read_text()
            time.sleep(0.1)
    try:
        yield Db(database.name, database.admin_dsn, database.owner_dsn, dsn, database.owner_role, database.app_role)
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)


SETTINGS = Query(
    "ShowSettings",
    "one",
    "select current_setting('app.role', true) as role, "
    "current_setting('app.user_id', true) as user_id, pg_backend_pid() as pid",
    "test",
)
ADMIN = Identity("00000000-0000-4000-8000-000000000001", "admin")


def test_settings_never_survive_into_another_clients_transaction(bouncer: Db) -> None:
    async def run() -> list[dict[str, object]]:
        a, b = (
            Database(settings_for(bouncer, prepared_statements=False, pool_min_size=1, pool_max_size=1)) for _ in "ab"
        )
        await a.open()
        await b.open()
        try:
            seen = []
            for _ in range(5):  # two client pools, one server connection behind PgBouncer
                async with a.transaction(ADMIN) as tx:
                    seen.append(dict(await tx.one(SETTINGS) or {}))
                async with b.transaction() as tx:
                    seen.append(dict(await tx.one(SETTINGS) or {}))
            return seen
        finally:
            await a.close()
            await b.close()

    seen = asyncio.run(run())
    assert len({row["pid"] for row in seen}) == 1, "PgBouncer should have shared one server connection"
    assert [row["role"] for row in seen] == ["admin", ""] * 5
    assert [row["user_id"] for row in seen] == [ADMIN.user_id, ""] * 5


def test_the_api_works_through_pgbouncer_with_prepared_statements_off(
    bouncer: Db, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    app = create_app(settings_for(bouncer, prepared_statements=False, pool_min_size=2, pool_max_size=2))
    body = {"item_id": kitchen["FLOUR"], "location_id": kitchen["DRY"], "type": "receive", "qty": "1"}
    with TestClient(app) as c:
        for _ in range(12):  # well past psycopg's prepare threshold of 5
            assert c.post("/v1/movements", json=body, headers=people["manager"].headers).status_code == 201
            assert c.get("/v1/purchase-orders", headers=people["viewer"].headers).status_code == 403
            assert c.get("/v1/stock", headers=people["viewer"].headers).status_code == 200
            assert c.get("/v1/audit", headers=people["admin"].headers).status_code == 200
            # The one-statement requests run inside a transaction here (no startup options through PgBouncer).
            assert c.get("/v1/items?category=dairy", headers=people["viewer"].headers).json()["data"][0]["id"]
            count = {"item_id": kitchen["FLOUR"], "location_id": kitchen["DRY"], "qty_on_hand": "2"}
            assert c.post("/v1/counts", json=count, headers=people["counter"].headers).status_code == 201
    assert owner.execute("select count(*) from movement").fetchone() == (12,)
    assert owner.execute("select count(*) from inventory_count").fetchone() == (12,)
