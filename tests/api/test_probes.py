"""GET /live and GET /ready (CONTRACT §18): liveness without the database, readiness as the app role
against the code's newest migration; both exempt from rate limits, /ready asks the database at most
once a second per worker."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from starlette.testclient import TestClient

from neuropilot import probes
from neuropilot.app import create_app
from neuropilot.config import sql_dir
from tests.conftest import Person, settings_for
from tests.pg import Db

DOWN = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1"


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every probe asks the database (no one-second reuse), so each test sees its own changes at once."""
    monkeypatch.setattr(probes, "READY_TTL_S", 0.0)


def ready(client: TestClient) -> tuple[int, dict[str, str], str | None]:
    r = client.get("/ready")
    return r.status_code, r.json(), r.headers.get("retry-after")


def test_live_is_ok(client: TestClient) -> None:
    r = client.get("/live")
    assert (r.status_code, r.json()) == (200, {"status": "ok"})
    assert r.headers["cache-control"] == "no-store"


def test_ready_when_the_schema_is_current(client: TestClient, fresh: None) -> None:
    assert ready(client) == (200, {"database": "ok", "schema": "current"}, None)


def test_database_down_live_still_ok_ready_503(database: Db) -> None:
    with TestClient(create_app(settings_for(database, database_url=DOWN))) as c:
        started = time.monotonic()
        live = c.get("/live")
        assert time.monotonic() - started < 0.5  # no connection attempt
        assert (live.status_code, live.json()) == (200, {"status": "ok"})
        started = time.monotonic()
        assert ready(c) == (503, {"database": "error", "schema": "unknown"}, "5")
        assert time.monotonic() - started < 3


def test_schema_behind_a_migration_file_the_database_lacks(
    database: Db, fresh: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = tmp_path / "sql"
    shutil.copytree(sql_dir(), tree)
    newest = max(int(re.match(r"\d+", p.name)[0]) for p in (tree / "schema").glob("*.sql"))  # type: ignore[index]
    (tree / "schema" / f"{newest + 1:04d}_not_applied_yet.sql").write_text("select 1;\n")
    monkeypatch.setattr(probes, "sql_dir", lambda: tree)
    with TestClient(create_app(settings_for(database))) as c:
        assert ready(c) == (503, {"database": "ok", "schema": "behind"}, "5")


def test_schema_ahead_a_version_the_code_does_not_know(
    database: Db, owner: psycopg.Connection, fresh: None, client: TestClient
) -> None:
    assert ready(client)[0] == 200
    owner.execute("insert into neuropilot_meta.schema_migration (version, name, sha256) values (9999, 'future', 'x')")
    assert ready(client) == (503, {"database": "ok", "schema": "ahead"}, "5")


def test_schema_behind_a_database_from_before_the_version_function(
    owner: psycopg.Connection, fresh: None, client: TestClient
) -> None:
    owner.execute("drop function schema_version()")
    assert ready(client) == (503, {"database": "ok", "schema": "behind"}, "5")


@pytest.mark.parametrize(
    "break_it",
    ["delete from neuropilot_meta.schema_migration", "revoke execute on function schema_version() from {app}"],
    ids=["empty-ledger", "no-grant"],
)
def test_schema_unknown(
    database: Db, owner: psycopg.Connection, fresh: None, client: TestClient, break_it: str
) -> None:
    owner.execute(break_it.format(app=f'"{database.app_role}"'))
    assert ready(client) == (503, {"database": "ok", "schema": "unknown"}, "5")


def test_ready_reads_the_version_as_the_app_role(database: Db) -> None:
    """The pool's role runs the SECURITY DEFINER function; it still cannot read the ledger itself."""
    with psycopg.connect(database.app_dsn, autocommit=True) as app:
        assert app.execute("select current_user").fetchone() == (database.app_role,)
        assert app.execute("select schema_version()").fetchone() == (probes.code_schema_version(),)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app.execute("select version from neuropilot_meta.schema_migration")


@pytest.fixture
def limited(database: Db) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(database, rate_limit_ip_per_min=3))) as c:
        yield c


def test_probes_are_not_rate_limited_and_ready_asks_the_database_once_a_second(
    limited: TestClient, people: dict[str, Person]
) -> None:
    for _ in range(30):
        assert limited.get("/live").status_code == 200
        assert limited.get("/ready").status_code == 200
    metrics = limited.get("/metrics").text
    asked = re.search(r'neuropilot_db_query_duration_seconds_count\{query="SchemaVersion"\} (\S+)', metrics)
    assert asked is not None and float(asked[1]) <= 2  # 30 probes within a second or two: one or two queries
    statuses = [limited.get("/v1/me", headers=people["viewer"].headers).status_code for _ in range(4)]
    assert statuses[-1] == 429  # the API itself is limited; the probes were not counted
