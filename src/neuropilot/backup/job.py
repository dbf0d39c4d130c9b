"""`neuropilot backup`: snapshot, manifest, pg_dump | gpg, publish, remote copy, retention, metrics."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import psycopg

from neuropilot.backup import pgtools
from neuropilot.backup.common import BackupError, Say, say_stderr
from neuropilot.backup.dump import dump_encrypted, passphrase_file
from neuropilot.backup.files import (
    backup_name,
    fsync,
    list_backups,
    locked,
    manifest_path,
    partial_name,
    remove_leftovers,
    write_metrics,
    write_synced,
)
from neuropilot.backup.manifest import Manifest, manifest_for, take_snapshot
from neuropilot.backup.pgtools import require, server_version
from neuropilot.backup.remote import copy_to_remote
from neuropilot.backup.retention import prune
from neuropilot.config import Settings
from neuropilot.metrics import BACKUP_METRIC

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
    tmp = partial_name(target)
    try:
        write_synced(tmp, msgspec.json.format(msgspec.json.encode(manifest), indent=2) + b"\n")
        tmp.rename(target)
        partial.rename(final)
        fsync(final.parent)
    except BaseException:
        for path in (tmp, target, partial, final):
            path.unlink(missing_ok=True)
        raise


def _dump(dsn: str, directory: Path, passphrase: Path, say: Say) -> Path:
    """Snapshot, manifest contents and pg_dump | gpg, all of one transaction's snapshot."""
    with psycopg.connect(dsn) as conn:
        reader = require_full_read(conn)
        server, tools = server_version(conn.info.server_version), pgtools.pick_tools(conn.info.server_version // 10000)
        mode = oct(passphrase.stat().st_mode & 0o777)
        say(f"check: reading as {reader}; {tools} for server {server}; passphrase file {mode}")
        final = directory / backup_name(_free_stamp(directory))
        snapshot = take_snapshot(conn)
        tables, rows = len(snapshot.tables), sum(t.rows for t in snapshot.tables.values())
        say(f"snapshot: {snapshot.id}: schema version {snapshot.schema_version}, {tables} tables, {rows} rows")
        partial, started = partial_name(final), time.monotonic()
        dump_encrypted(tools, dsn, snapshot.id, partial, passphrase)  # the exporting transaction is still open
    try:
        size, seconds = partial.stat().st_size, time.monotonic() - started
        say(f"dump: pg_dump -Fc --snapshot | gpg AES256 → {final.name} ({size} bytes, {seconds:.1f} s)")
        manifest = manifest_for(final, partial, snapshot, server, tools)
        _publish(partial, final, manifest)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    say(f"manifest: {manifest_path(final).name} (checksum {manifest.checksum[:16]}…)")
    return final


def backup(settings: Settings, owner_dsn: str, say: Say | None = None) -> Path:
    """Take one backup; returns its path. Any failure raises and leaves earlier backups and metrics alone."""
    say = say or say_stderr("neuropilot backup")
    passphrase = passphrase_file(settings)
    require("gpg", "gnupg")
    if settings.backup_remote:
        require("rclone", "rclone")
    directory = settings.backup_dir
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    with locked(directory):
        remove_leftovers(directory)
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
