"""The snapshot and its manifest: row count and content checksum of every table, schema version.

One REPEATABLE READ transaction exports its snapshot; the manifest is computed inside it and pg_dump
dumps that very snapshot, so both describe the same state even while the API writes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import psycopg
from psycopg import sql

from neuropilot.backup.common import BackupError, one
from neuropilot.backup.files import manifest_path, sha256
from neuropilot.backup.pgtools import PgTools
from neuropilot.config import sql_dir
from neuropilot.migrate import migrations


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
    if not one(conn, "select to_regclass('neuropilot_meta.schema_migration') is not null"):
        raise BackupError("no neuropilot_meta.schema_migration: this is not a migrated NeuroPilot database")
    return int(one(conn, "select coalesce(max(version), 0) from neuropilot_meta.schema_migration"))


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
    if sha256(dump) != manifest.sha256:
        raise BackupError(f"{dump.name} does not match its manifest's sha256: a damaged file or the wrong pair")
    return manifest


def repeatable_read(conn: psycopg.Connection) -> None:
    """The next transaction sees one snapshot throughout (settable between transactions only)."""
    conn.rollback()
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    conn.read_only = True


@dataclass(frozen=True)
class Snapshot:
    id: str
    taken_at: datetime
    database: str
    schema_version: int
    tables: dict[str, TableSum]


def take_snapshot(conn: psycopg.Connection) -> Snapshot:
    """Export this transaction's snapshot and read in it what the manifest will say about the data."""
    repeatable_read(conn)
    snapshot = str(one(conn, "select pg_export_snapshot()"))
    taken_at, database = conn.execute("select now(), current_database()").fetchone() or (None, None)
    return Snapshot(snapshot, taken_at, database, schema_version(conn), table_sums(conn))


def manifest_for(final: Path, partial: Path, snapshot: Snapshot, server: str, tools: PgTools) -> Manifest:
    return Manifest(
        file=final.name,
        sha256=sha256(partial),
        size=partial.stat().st_size,
        created_at=snapshot.taken_at.astimezone(UTC).isoformat(),
        database=snapshot.database,
        server_version=server,
        pg_dump=f"{tools.version[0]}.{tools.version[1]}",
        schema_version=snapshot.schema_version,
        tables=snapshot.tables,
        checksum=combined_checksum(snapshot.tables),
    )
