"""Backups, restores and the restore drill, against the suite's real PostgreSQL (CONTRACT §8)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import make_conninfo
from psycopg.types.json import Jsonb
from starlette.testclient import TestClient

from neuropilot import backup
from neuropilot.backup import BackupError, TableSum
from neuropilot.backup.dump import libpq
from neuropilot.cli import main
from neuropilot.config import Settings
from neuropilot.metrics import BACKUP_METRIC
from tests.conftest import Person, settings_for
from tests.pg import Cluster, Db

ROOT = Path(__file__).resolve().parents[2]
STEPS = ["check", "snapshot", "dump", "manifest", "remote", "retention", "metrics"]


@pytest.fixture(scope="module", autouse=True)
def _tools_installed() -> None:
    """gpg and rclone belong to the product's setup (.ci/run installs them): missing fails, it never skips."""
    missing = [package for tool, package in (("gpg", "gnupg"), ("rclone", "rclone")) if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"the backup tests need {' and '.join(missing)}: apt-get install -y {' '.join(missing)}")


@pytest.fixture
def passphrase(tmp_path: Path) -> Path:
    path = tmp_path / "backup.key"
    path.write_text("a long, random enough passphrase for the test backups\n")
    path.chmod(0o600)
    return path


@pytest.fixture
def settings(database: Db, tmp_path: Path, passphrase: Path) -> Settings:
    return settings_for(database, backup_dir=tmp_path / "backups", backup_passphrase_file=passphrase)


@pytest.fixture
def cli_env(settings: Settings, database: Db, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIGRATOR_DATABASE_URL", database.owner_dsn)
    monkeypatch.setenv("DATABASE_URL", database.app_dsn)
    monkeypatch.setenv("NEUROPILOT_APP_ROLE", database.app_role)
    monkeypatch.setenv("NEUROPILOT_BACKUP_DIR", str(settings.backup_dir))
    monkeypatch.setenv("NEUROPILOT_BACKUP_PASSPHRASE_FILE", str(settings.backup_passphrase_file))


@pytest.fixture
def stocked(owner: psycopg.Connection, people: dict[str, Person], kitchen: dict[str, str]) -> dict[str, str]:
    """Receipts, uses, counts and an audit row, so the derived and append-only tables have rows to carry."""
    admin = people["admin"].id
    for item in ("FLOUR", "MILK"):
        for kind, qty in (("receive", "40"), ("use", "-2.5")):
            owner.execute(
                "insert into movement (item_id, location_id, type, qty, created_by) values (%s, %s, %s, %s, %s)",
                (kitchen[item], kitchen["DRY"], kind, qty, admin),
            )
        owner.execute(
            "insert into inventory_count (item_id, location_id, counted_by, qty_on_hand) values (%s, %s, %s, 7)",
            (kitchen[item], kitchen["COOL"], admin),
        )
    owner.execute(
        "insert into audit_log (actor_id, action, entity, details) values (%s, 'seed', 'item', %s)",
        (admin, Jsonb({"why": "fixture"})),
    )
    return kitchen


@pytest.fixture
def new_database(cluster: Cluster) -> Iterator[Callable[[], str]]:
    """Names for databases a restore creates; dropped at the end whatever happened."""
    names: list[str] = []

    def name() -> str:
        names.append(cluster.new_name())
        return names[-1]

    yield name
    for created in names:
        cluster.drop(created)


@pytest.fixture
def owner_may_create_databases(cluster: Cluster) -> Iterator[None]:
    """As a managed owner role (Neon's) may: what `backup verify` needs for its scratch database."""
    with cluster.admin() as conn:
        conn.execute(f'alter role "{cluster.owner_role}" createdb')
    yield
    with cluster.admin() as conn:
        conn.execute(f'alter role "{cluster.owner_role}" nocreatedb')


def take(settings: Settings, dsn: str, lines: list[str] | None = None) -> Path:
    return backup.backup(settings, dsn, say=lines.append if lines is not None else quiet)


def quiet(line: str) -> None:
    pass


def sums(dsn: str) -> dict[str, TableSum]:
    with psycopg.connect(dsn) as conn:
        return backup.table_sums(conn)


def data(tables: dict[str, TableSum]) -> dict[str, TableSum]:
    """The public tables: after a restore, migrate re-records neuropilot_meta.policy_file on purpose."""
    return {name: table for name, table in tables.items() if name.startswith("public.")}


def files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())} if directory.exists() else {}


def edit_manifest(dump: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = backup.manifest_path(dump)
    manifest = json.loads(path.read_text())
    change(manifest)
    path.write_text(json.dumps(manifest))


def database_exists(cluster: Cluster, name: str) -> bool:
    with cluster.admin() as conn:
        return conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone() is not None


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


class Watcher:
    """Polls directories while a backup runs: every name seen, and any file that looks like a plaintext dump."""

    def __init__(self, *directories: Path) -> None:
        self.directories = directories
        self.names: set[str] = set()
        self.plaintext: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.look()
            time.sleep(0.002)

    def look(self) -> None:
        for directory in self.directories:
            with contextlib.suppress(FileNotFoundError):  # the backup directory may not exist yet
                for entry in os.scandir(directory):
                    self.names.add(entry.name)
                    if entry.name.endswith(".dump") or _head(Path(entry.path)) == b"PGDMP":  # custom format's magic
                        self.plaintext.add(entry.name)

    def __enter__(self) -> Watcher:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()
        self.look()


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as f:
            return f.read(5)
    except (FileNotFoundError, IsADirectoryError):
        return b""


def test_backup_then_restore_gives_back_every_row(
    settings: Settings, database: Db, stocked: dict[str, str], cluster: Cluster, new_database: Callable[[], str]
) -> None:
    lines: list[str] = []
    path = take(settings, database.owner_dsn, lines)
    assert [line.split(":")[0] for line in lines] == STEPS  # one progress line per step
    assert sorted(files(settings.backup_dir)) == sorted(
        [path.name, backup.manifest_path(path).name, "neuropilot_backup.prom"]
    )
    assert path.stat().st_mode & 0o077 == 0
    manifest = backup.read_manifest(path)
    assert manifest.schema_version == backup.newest_known_version()
    assert (manifest.tables["public.movement"].rows, manifest.tables["public.audit_log"].rows) == (4, 1)
    assert manifest.tables == sums(database.owner_dsn)
    metric = re.search(rf"^{BACKUP_METRIC} (\d+)$", settings.backup_metrics_file.read_text(), re.MULTILINE)
    assert metric is not None and abs(int(metric[1]) - time.time()) < 60

    target = new_database()
    backup.restore(settings, database.owner_dsn, path, target, admin_dsn=cluster.admin_dsn, say=lines.append)
    restored = cluster.describe(target)
    assert data(sums(restored.owner_dsn)) == data(manifest.tables)
    with psycopg.connect(restored.owner_dsn, autocommit=True) as conn:
        assert backup.catalog_problems(conn, database.app_role) == []
    with psycopg.connect(restored.app_dsn, autocommit=True) as app:  # RLS binds the app role again
        assert app.execute("select count(*) from movement").fetchone() == (0,)


def test_the_backup_opens_with_stock_gpg_as_a_custom_format_dump(
    settings: Settings, database: Db, stocked: dict[str, str], passphrase: Path
) -> None:
    path = take(settings, database.owner_dsn)
    assert not path.read_bytes().startswith(b"PGDMP")
    packets = subprocess.run(
        ["gpg", "--batch", "--list-packets", "--passphrase-file", str(passphrase), str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "cipher 9" in packets and "hash 10" in packets  # AES256, and SHA512 for the key derivation
    assert "mdc_method: 2" in packets or "aead" in packets  # integrity protected
    plain = subprocess.run(
        ["gpg", "--batch", "--quiet", "--passphrase-file", str(passphrase), "-d", str(path)],
        capture_output=True,
        check=True,
    ).stdout  # kept in memory only
    assert plain.startswith(b"PGDMP")
    tools = backup.pick_tools(int(backup.read_manifest(path).pg_dump.split(".")[0]))
    listing = subprocess.run([tools.path("pg_restore"), "--list"], input=plain, capture_output=True, check=True)
    assert b"TABLE DATA public movement" in listing.stdout


def test_a_pg_dump_failing_midway_leaves_no_partial_and_no_plaintext(
    settings: Settings, database: Db, stocked: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    take(settings, database.owner_dsn)
    before = files(settings.backup_dir)
    fake = tmp_path / "fakebin"
    fake.mkdir()
    (fake / "pg_dump").write_text(
        "#!/bin/sh\nprintf PGDMP; head -c 300000 /dev/urandom; echo 'pg_dump: error: connection lost' >&2; exit 1\n"
    )
    (fake / "pg_dump").chmod(0o755)
    monkeypatch.setattr(backup.pgtools, "pick_tools", lambda *_: backup.PgTools(fake, (99, 0)))
    refused = pytest.raises(BackupError, match=r"pg_dump failed.*connection lost")
    with Watcher(settings.backup_dir, cwd) as seen, refused:
        take(settings, database.owner_dsn)
    assert files(settings.backup_dir) == before  # previous latest, its manifest and the metrics file untouched
    assert any(name.endswith(".dump.gpg.partial") for name in seen.names)  # it was there (encrypted), and is gone
    assert seen.plaintext == set() and list(cwd.iterdir()) == []


@pytest.mark.parametrize("failure", ["no passphrase file configured", "passphrase file missing", "server down"])
def test_a_failed_backup_leaves_the_latest_backup_and_metrics_alone(
    settings: Settings,
    database: Db,
    stocked: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    failure: str,
) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    take(settings, database.owner_dsn)
    before = files(settings.backup_dir)
    broken, dsn, message = {
        "no passphrase file configured": (
            replace(settings, backup_passphrase_file=None),
            database.owner_dsn,
            "refusing to write an unencrypted backup",
        ),
        "passphrase file missing": (
            replace(settings, backup_passphrase_file=tmp_path / "missing.key"),
            database.owner_dsn,
            "cannot read the passphrase file",
        ),
        "server down": (
            settings,
            make_conninfo(database.owner_dsn, host="127.0.0.1", port=closed_port()),
            "connection",
        ),
    }[failure]
    refused = pytest.raises((BackupError, psycopg.OperationalError), match=message)
    with Watcher(settings.backup_dir, cwd) as seen, refused:
        take(broken, dsn)
    assert files(settings.backup_dir) == before
    assert seen.plaintext == set() and list(cwd.iterdir()) == []


def test_cli_backup_exits_non_zero_and_says_why(
    cli_env: None, database: Db, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("NEUROPILOT_BACKUP_PASSPHRASE_FILE")
    assert main(["backup"]) == 2
    assert "refusing to write an unencrypted backup" in capsys.readouterr().err
    monkeypatch.setenv("NEUROPILOT_BACKUP_PASSPHRASE_FILE", "/nonexistent/backup.key")
    assert main(["backup"]) == 2
    assert "cannot read the passphrase file" in capsys.readouterr().err


def test_a_dump_as_the_rls_bound_app_role_fails_loudly(
    settings: Settings, database: Db, stocked: dict[str, str], passphrase: Path, tmp_path: Path
) -> None:
    with pytest.raises(BackupError, match="bound by row-level security"):
        take(settings, database.app_dsn)
    assert list(settings.backup_dir.iterdir()) == []
    # pg_dump itself refuses as well, should that check ever be bypassed: never a silently partial file
    with psycopg.connect(database.owner_dsn) as conn:
        tools = backup.pick_tools(conn.info.server_version // 10000)
    output = tmp_path / "app.dump.gpg"
    with pytest.raises(BackupError, match="pg_dump failed"):
        backup.dump_encrypted(tools, database.app_dsn, None, output, passphrase)
    assert not output.exists()
    # and where the app role may read a table, pg_dump's row_security=off makes RLS an error, not fewer rows
    raw = [tools.path("pg_dump"), "--format=custom", "--table=public.item", f"--dbname={database.app_dsn}"]
    refused = subprocess.run(raw, capture_output=True, check=False)  # the dump stays in memory
    assert refused.returncode != 0 and b"row-level security" in refused.stderr


def test_restore_refuses_a_non_empty_target_unless_forced(
    settings: Settings,
    database: Db,
    stocked: dict[str, str],
    cluster: Cluster,
    new_database: Callable[[], str],
    cli_env: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = take(settings, database.owner_dsn)
    target = new_database()
    backup.restore(settings, database.owner_dsn, path, target, admin_dsn=cluster.admin_dsn, say=quiet)
    restored = cluster.describe(target)
    with psycopg.connect(restored.owner_dsn, autocommit=True) as conn:
        conn.execute("insert into location (code, name, temp_zone) values ('EXTRA', 'Extra', 'dry')")
    assert main(["restore", str(path), "--target", target]) == 2
    assert f"target database {target} is not empty" in capsys.readouterr().err
    lines: list[str] = []
    admin = cluster.admin_dsn
    backup.restore(settings, database.owner_dsn, path, target, force=True, admin_dsn=admin, say=lines.append)
    assert any("--force: dropped database" in line for line in lines)
    assert data(sums(restored.owner_dsn)) == data(backup.read_manifest(path).tables)  # EXTRA is gone


def _newer_schema(path: Path, settings: Settings, tmp_path: Path) -> tuple[Settings, str]:
    edit_manifest(path, lambda m: m.update(schema_version=backup.newest_known_version() + 1))
    return settings, "newer than this code knows"


def _wrong_passphrase(path: Path, settings: Settings, tmp_path: Path) -> tuple[Settings, str]:
    (tmp_path / "other.key").write_text("not the passphrase it was made with\n")
    return replace(settings, backup_passphrase_file=tmp_path / "other.key"), "could not decrypt"


def _damaged(path: Path, settings: Settings, tmp_path: Path) -> tuple[Settings, str]:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    return settings, "does not match its manifest"


def _manifest_missing(path: Path, settings: Settings, tmp_path: Path) -> tuple[Settings, str]:
    backup.manifest_path(path).unlink()
    return settings, "is missing"


@pytest.mark.parametrize("spoil", [_newer_schema, _wrong_passphrase, _damaged, _manifest_missing])
def test_restore_refuses_before_touching_the_target(
    settings: Settings,
    database: Db,
    stocked: dict[str, str],
    cluster: Cluster,
    new_database: Callable[[], str],
    tmp_path: Path,
    spoil: Callable[[Path, Settings, Path], tuple[Settings, str]],
) -> None:
    path = take(settings, database.owner_dsn)
    spoiled, message = spoil(path, settings, tmp_path)
    target = new_database()
    with pytest.raises(BackupError, match=message):
        backup.restore(spoiled, database.owner_dsn, path, target, admin_dsn=cluster.admin_dsn, say=quiet)
    assert not database_exists(cluster, target)


def test_retention_keeps_the_newest_per_day_and_per_iso_week(tmp_path: Path) -> None:
    latest = datetime(2024, 3, 20, 14, 0, tzinfo=UTC)  # a Wednesday; ISO week 12 runs 18 to 24 March
    nightly = [datetime(2024, 3, 20, 2, 30, tzinfo=UTC) - timedelta(days=n) for n in range(50)]
    for stamp in [latest, *nightly]:
        path = tmp_path / backup.backup_name(stamp)
        path.write_bytes(b"encrypted")
        backup.manifest_path(path).write_text("{}")
    (tmp_path / "neuropilot_backup.prom").write_text("untouched\n")
    deleted = backup.prune(tmp_path, daily=7, weekly=4)
    kept = {b.taken_at for b in backup.list_backups(tmp_path)}
    daily = {latest} | {datetime(2024, 3, day, 2, 30, tzinfo=UTC) for day in range(14, 20)}
    weekly = {datetime(2024, 3, 10, 2, 30, tzinfo=UTC), datetime(2024, 3, 3, 2, 30, tzinfo=UTC)}  # Sundays
    assert kept == daily | weekly  # week 11's newest (the 17th) is also a daily
    assert len(deleted) == 51 - 9
    assert sorted(p.name for p in tmp_path.glob("*.manifest.json")) == sorted(
        backup.manifest_path(tmp_path / backup.backup_name(stamp)).name for stamp in kept
    )
    assert (tmp_path / "neuropilot_backup.prom").read_text() == "untouched\n"
    assert backup.retained([latest, *nightly], daily=0, weekly=0) == {latest}  # the newest is never deleted


def test_the_remote_copy_lands_and_is_checked(
    settings: Settings, database: Db, stocked: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RCLONE_CONFIG_TESTREMOTE_TYPE", "local")
    remote = tmp_path / "remote"
    lines: list[str] = []
    path = take(replace(settings, backup_remote=f"testremote:{remote}"), database.owner_dsn, lines)
    assert any(line.startswith("remote: copied 2 files") and "no differences" in line for line in lines)
    for name in (path.name, backup.manifest_path(path).name):
        assert (remote / name).read_bytes() == (settings.backup_dir / name).read_bytes()
    # A remote that fails fails the run: metrics untouched and nothing pruned; the complete local copy stays.
    metrics = settings.backup_metrics_file.read_bytes()
    with pytest.raises(BackupError, match="rclone copy failed"):
        take(replace(settings, backup_remote="nosuchremote:backups", backup_keep_daily=1), database.owner_dsn)
    assert settings.backup_metrics_file.read_bytes() == metrics
    assert [b.path.name for b in backup.list_backups(settings.backup_dir)][1:] == [path.name]


def test_verify_passes_then_catches_a_tampered_manifest(
    settings: Settings,
    database: Db,
    stocked: dict[str, str],
    cluster: Cluster,
    cli_env: None,
    owner_may_create_databases: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = take(settings, database.owner_dsn)
    assert main(["backup", "verify"]) == 0
    out, err = capsys.readouterr()
    assert "verify OK" in out and "compare: " in err and "catalog: RLS and policies on all" in err
    edit_manifest(path, lambda m: m["tables"]["public.movement"].update(rows=5))
    assert main(["backup", "verify"]) == 2
    assert "public.movement: 4 rows restored, the manifest says 5" in capsys.readouterr().err
    with cluster.admin() as conn:
        assert conn.execute("select datname from pg_database where datname like 'neuropilot_verify_%'").fetchall() == []


def test_a_backup_taken_during_transfers_keeps_on_hand_sums(
    settings: Settings,
    database: Db,
    client: TestClient,
    people: dict[str, Person],
    kitchen: dict[str, str],
    owner: psycopg.Connection,
    cluster: Cluster,
    new_database: Callable[[], str],
) -> None:
    manager = people["manager"].headers
    for item in ("FLOUR", "MILK"):
        body = {"item_id": kitchen[item], "location_id": kitchen["DRY"], "type": "receive", "qty": "500"}
        assert client.post("/v1/movements", json=body, headers=manager).status_code == 201
    done: list[int] = []
    errors: list[str] = []
    stop = threading.Event()

    def transfer_until_stopped() -> None:
        while not stop.is_set():
            n = len(done)
            source, destination = ("DRY", "COOL") if n % 4 < 2 else ("COOL", "DRY")
            body = {
                "item_id": kitchen[("FLOUR", "MILK")[n % 2]],
                "from_location_id": kitchen[source],
                "to_location_id": kitchen[destination],
                "qty": "1.5",
            }
            response = client.post("/v1/transfers", json=body, headers=manager)
            if response.status_code != 201:
                errors.append(response.text)
                return
            done.append(n)

    thread = threading.Thread(target=transfer_until_stopped)
    thread.start()
    try:
        wait_for(lambda: len(done) >= 5 or bool(errors))
        path = take(settings, database.owner_dsn)
        during = len(done)
        wait_for(lambda: len(done) >= during + 5 or bool(errors))
    finally:
        stop.set()
        thread.join(timeout=30)
    assert errors == []
    target = new_database()
    backup.restore(settings, database.owner_dsn, path, target, admin_dsn=cluster.admin_dsn, say=quiet)  # = manifest
    with psycopg.connect(cluster.describe(target).owner_dsn, autocommit=True) as restored:
        transfers = restored.execute("select count(*) from movement where type = 'transfer'").fetchone()
        unbalanced = restored.execute(
            "select item_id from movement where type = 'transfer' group by item_id having sum(qty) <> 0"
        ).fetchall()
        on_hand = dict(restored.execute("select item_id::text, sum(on_hand) from stock_level group by 1").fetchall())
        ledger = dict(
            restored.execute(
                "select item_id::text, sum(qty) from movement where type in ('receive', 'use', 'adjust') group by 1"
            ).fetchall()
        )
    total = owner.execute("select count(*) from movement where type = 'transfer'").fetchone()
    assert transfers is not None and total is not None
    assert 10 <= transfers[0] < total[0] and transfers[0] % 2 == 0  # taken mid-stream, never half a transfer
    assert unbalanced == []
    assert on_hand == ledger == {kitchen["FLOUR"]: Decimal("500.000"), kitchen["MILK"]: Decimal("500.000")}


def test_bin_backup_is_the_cron_entry_point(
    settings: Settings, database: Db, stocked: dict[str, str], tmp_path: Path
) -> None:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),  # cron's sparse environment
        "MIGRATOR_DATABASE_URL": database.owner_dsn,
        "NEUROPILOT_APP_ROLE": database.app_role,
        "NEUROPILOT_BACKUP_DIR": str(settings.backup_dir),
        "NEUROPILOT_BACKUP_PASSPHRASE_FILE": str(settings.backup_passphrase_file),
    }
    done = subprocess.run(
        [str(ROOT / "bin" / "backup")], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    path = Path(done.stdout.strip())
    assert path.parent == settings.backup_dir and backup.manifest_path(path).is_file()
    progress = [line.removeprefix("neuropilot backup: ").split(":")[0] for line in done.stderr.splitlines()]
    assert progress == STEPS


def test_passwords_stay_off_command_lines() -> None:
    conninfo, env = libpq("postgresql://owner:s3cret@db.example.com:5432/inventory")
    assert "s3cret" not in conninfo and env["PGPASSWORD"] == "s3cret"
