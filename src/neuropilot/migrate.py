"""Migration runner (Flyway-like) for sql/schema and sql/policies.

sql/schema/NNNN_name.sql files are applied once, in order, each in its own transaction, and
recorded with their sha256; an applied file that changed stops the run. sql/policies/*.sql are
repeatable: re-applied whenever their checksum changes or a migration ran. A file named after a
table owns that table's grants and policies: before it runs, the table's policies are dropped and
the app role's privileges on it revoked, so the file is the whole truth. `${app_role}` in a policy
file stands for the app role. The whole run holds an advisory lock and fails fast without it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from neuropilot.config import sql_dir

LOCK_KEY = 7_461_290_001  # arbitrary, fixed: pg_try_advisory_lock(LOCK_KEY) guards every run
_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_LEDGER = """
create schema if not exists neuropilot_meta;
revoke all on schema neuropilot_meta from public;
comment on schema neuropilot_meta is 'Migration ledger; owner only, the app role cannot use it.';
create table if not exists neuropilot_meta.schema_migration (
    version integer primary key,
    name text not null,
    sha256 text not null,
    applied_at timestamptz not null default now()
);
create table if not exists neuropilot_meta.policy_file (
    name text primary key,
    sha256 text not null,
    applied_at timestamptz not null default now()
);
"""


class MigrationError(Exception):
    """The database and sql/ disagree, or the run could not take its lock."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class Status:
    applied: list[tuple[int, str, str]]  # version, name, applied_at
    pending: list[Migration]
    changed_policies: list[str]


def migrations(directory: Path) -> list[Migration]:
    found: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: migration files are named NNNN_lowercase_name.sql")
        found.append(Migration(int(match[1]), match[2], path))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError("two migration files share a version number")
    return found


def policy_text(path: Path, app_role: str) -> str:
    quoted = '"' + app_role.replace('"', '""') + '"'
    return path.read_text(encoding="utf-8").replace("${app_role}", quoted)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _applied(conn: psycopg.Connection) -> dict[int, tuple[str, str, str]]:
    rows = conn.execute(
        "select version, name, sha256, applied_at::text from neuropilot_meta.schema_migration order by version"
    ).fetchall()
    return {row[0]: (row[1], row[2], row[3]) for row in rows}


def _verify_applied(files: list[Migration], applied: dict[int, tuple[str, str, str]]) -> list[Migration]:
    by_version = {m.version: m for m in files}
    for version, (name, digest, _) in applied.items():
        m = by_version.get(version)
        if m is None:
            raise MigrationError(f"migration {version:04d}_{name} is applied but its file is missing from sql/schema")
        if m.name != name or m.sha256 != digest:
            raise MigrationError(
                f"sql/schema/{m.path.name} changed after it was applied (applied as {version:04d}_{name}, "
                f"sha256 {digest[:12]}…, file now {m.sha256[:12]}…). Applied migrations are immutable: "
                "revert the edit and put the change in a new migration."
            )
    return [m for m in files if m.version not in applied]


def _ensure_app_role(conn: psycopg.Connection, app_role: str) -> None:
    if conn.execute("select 1 from pg_roles where rolname = %s", (app_role,)).fetchone():
        return
    try:
        with conn.transaction():
            conn.execute(sql.SQL("create role {} nologin nosuperuser nobypassrls").format(sql.Identifier(app_role)))
    except psycopg.errors.InsufficientPrivilege:
        owner = conn.info.user
        raise MigrationError(
            f"the app role {app_role!r} does not exist and {owner!r} may not create it. Ask your DBA to run:\n"
            f"  create role {app_role} login password '…' nosuperuser nobypassrls noinherit;\n"
            f"then run migrate again (or set NEUROPILOT_APP_ROLE to the role you were given)."
        ) from None


def _recorded_policies(conn: psycopg.Connection) -> dict[str, str]:
    return dict(conn.execute("select name, sha256 from neuropilot_meta.policy_file").fetchall())


def _reset_table(conn: psycopg.Connection, table: str, app_role: str) -> None:
    for (policy,) in conn.execute(
        "select policyname from pg_policies where schemaname = 'public' and tablename = %s", (table,)
    ).fetchall():
        conn.execute(sql.SQL("drop policy {} on {}").format(sql.Identifier(policy), sql.Identifier(table)))
    conn.execute(sql.SQL("revoke all on {} from {}").format(sql.Identifier(table), sql.Identifier(app_role)))


def _apply_policies(
    conn: psycopg.Connection, directory: Path, app_role: str, force: bool, say: Callable[[str], None]
) -> None:
    recorded = _recorded_policies(conn)
    tables = {row[0] for row in conn.execute("select tablename from pg_tables where schemaname = 'public'")}
    for path in sorted(directory.glob("*.sql")):
        text = policy_text(path, app_role)
        digest = _sha(text)
        if not force and recorded.get(path.name) == digest:
            continue
        with conn.transaction():
            if path.stem in tables:
                _reset_table(conn, path.stem, app_role)
            conn.execute(text.encode())
            conn.execute(
                "insert into neuropilot_meta.policy_file (name, sha256) values (%s, %s) "
                "on conflict (name) do update set sha256 = excluded.sha256, applied_at = now()",
                (path.name, digest),
            )
        say(f"policies {path.name} applied")


def _lock(conn: psycopg.Connection) -> None:
    locked = conn.execute("select pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()
    if not locked or not locked[0]:
        raise MigrationError("another migration is running against this database (advisory lock held); try again later")


def _connect(dsn: str) -> psycopg.Connection:
    conn = psycopg.connect(dsn, autocommit=True)
    conn.execute("set lock_timeout = '10s'")
    return conn


def migrate(dsn: str, app_role: str, root: Path | None = None, say: Callable[[str], None] = print) -> int:
    """Apply pending migrations and changed policies. Returns the number of migrations applied."""
    root = root or sql_dir()
    files = migrations(root / "schema")
    with _connect(dsn) as conn:
        _lock(conn)
        conn.execute(_LEDGER)
        pending = _verify_applied(files, _applied(conn))
        _ensure_app_role(conn, app_role)
        for m in pending:
            with conn.transaction():
                conn.execute(m.path.read_bytes())
                conn.execute(
                    "insert into neuropilot_meta.schema_migration (version, name, sha256) values (%s, %s, %s)",
                    (m.version, m.name, m.sha256),
                )
            say(f"migration {m.path.name} applied")
        _apply_policies(conn, root / "policies", app_role, force=bool(pending), say=say)
        conn.execute("select pg_advisory_unlock(%s)", (LOCK_KEY,))
    return len(pending)


def status(dsn: str, app_role: str, root: Path | None = None) -> Status:
    root = root or sql_dir()
    files = migrations(root / "schema")
    with _connect(dsn) as conn:
        exists = conn.execute("select to_regclass('neuropilot_meta.schema_migration')").fetchone()
        applied = _applied(conn) if exists and exists[0] else {}
        recorded = _recorded_policies(conn) if applied else {}
    pending = _verify_applied(files, applied)
    changed = [
        p.name
        for p in sorted((root / "policies").glob("*.sql"))
        if recorded.get(p.name) != _sha(policy_text(p, app_role))
    ]
    return Status([(v, n, at) for v, (n, _, at) in applied.items()], pending, changed)
