from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import psycopg
import pytest

from neuropilot.cli import main
from neuropilot.passwords import verify
from tests.pg import Db


@pytest.fixture
def env(database: Db, monkeypatch: pytest.MonkeyPatch) -> Db:
    monkeypatch.setenv("MIGRATOR_DATABASE_URL", database.owner_dsn)
    monkeypatch.setenv("DATABASE_URL", database.app_dsn)
    monkeypatch.setenv("NEUROPILOT_APP_ROLE", database.app_role)
    return database


def feed(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def test_user_create_reads_password_from_stdin_and_hashes_it(
    env: Db, owner: psycopg.Connection, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    feed(monkeypatch, "correct horse battery\n")
    assert main(["user", "create", "--email", "Chef@Example.com", "--role", "manager", "--display-name", "Chef"]) == 0
    assert "created manager Chef@Example.com" in capsys.readouterr().out
    row = owner.execute("select role, password_hash from app_user where email = 'chef@example.com'").fetchone()
    assert row is not None and row[0] == "manager"
    assert row[1].startswith("$argon2id$") and verify(row[1], "correct horse battery")
    audit = owner.execute("select action, details from audit_log").fetchall()
    assert audit == [("user.create", {"email": "Chef@Example.com", "role": "manager", "via": "cli"})]


def test_user_create_refuses_a_short_password(
    env: Db, owner: psycopg.Connection, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    feed(monkeypatch, "short\n")
    assert main(["user", "create", "--email", "a@b.c", "--role", "admin", "--display-name", "A"]) == 2
    assert "at least 12 characters" in capsys.readouterr().err
    assert owner.execute("select count(*) from app_user").fetchone() == (0,)


def test_user_create_refuses_a_duplicate_email(env: Db, monkeypatch: pytest.MonkeyPatch) -> None:
    for expected in (0, 1):
        feed(monkeypatch, "long enough password\n")
        assert main(["user", "create", "--email", "x@y.z", "--role", "viewer", "--display-name", "X"]) == expected


def test_migrate_status_reports_up_to_date(env: Db, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", "status"]) == 0
    out = capsys.readouterr().out
    assert "applied  0001_core_tables" in out and "up to date" in out


def test_migrate_needs_the_owner_dsn_when_database_url_is_set(env: Db, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MIGRATOR_DATABASE_URL")
    assert main(["migrate"]) == 2


def test_demo_data_is_attributed_to_an_admin(
    env: Db, owner: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["demo-data", "--admin-email", "boss@example.com"]) == 2  # no such admin
    feed(monkeypatch, "long enough password\n")
    main(["user", "create", "--email", "boss@example.com", "--role", "admin", "--display-name", "Boss"])
    assert main(["demo-data", "--admin-email", "boss@example.com"]) == 0
    items, zones, counts, moves = owner.execute(
        "select (select count(*) from item), (select count(*) from location),"
        " (select count(*) from inventory_count), (select count(*) from movement)"
    ).fetchone()  # type: ignore[misc]
    assert (items, zones, counts, moves) == (50, 4, 50, 300 + 32)  # 300 receipts and uses, 32 waste rows
    packs, reasons, misplaced, below_par = owner.execute(
        "select (select count(*) from item_pack),"
        " (select count(distinct reason) from movement where type = 'waste'),"
        " (select count(*) from stock_level as s join item as i on i.id = s.item_id"
        "  join location as l on l.id = s.location_id where i.storage_zone <> l.temp_zone),"
        " (select count(*) from item as i where i.min_qty > (select coalesce(sum(on_hand), 0)"
        "  from stock_level as s where s.item_id = i.id))"
    ).fetchone()  # type: ignore[misc]
    assert (packs, misplaced) == (50, 0)  # a case of each item not sold by the case, a sack of each dry good
    assert reasons > 1 and below_par >= 5


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(data_dir: Path, port: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "MIGRATOR_", "NEUROPILOT_"))}
    env |= {"NEUROPILOT_DATA_DIR": str(data_dir), "PORT": str(port), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "neuropilot", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_healthy(proc: subprocess.Popen[str], port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "server exited early"
        try:
            if httpx2.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("server did not become healthy")


def stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)  # what Ctrl-C in `make run` sends
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    return out


def postgres_running_on(pgdata: Path) -> bool:
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    return any(str(pgdata) in line and "postgres" in line for line in ps.splitlines())


def test_serve_on_embedded_database_creates_demo_once_reuses_data_and_stops_postgres(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    port = free_port()
    first = serve(data_dir, port)
    try:
        wait_healthy(first, port)
    finally:
        out = stop(first)
    assert "demo admin created (shown once): admin@neuropilot.local  password: " in out
    assert not postgres_running_on(data_dir / "pgdata"), "Ctrl-C left postgres running"

    second = serve(data_dir, port)
    try:
        wait_healthy(second, port)
        dsn = f"host={data_dir.resolve() / 'pgdata'} user=neuropilot_owner dbname=neuropilot"
        with psycopg.connect(dsn) as conn:
            assert conn.execute("select count(*) from item").fetchone() == (50,)
            assert conn.execute("select count(*) from app_user").fetchone() == (1,)
    finally:
        out = stop(second)
    assert "demo admin created" not in out
    assert not postgres_running_on(data_dir / "pgdata")
