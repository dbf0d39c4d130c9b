"""`neuropilot restore`: check the manifest and decrypt once to /dev/null (passphrase and integrity)
before touching any database, then gpg → pg_restore in one transaction into an empty (or, with force,
dropped and recreated) database, compare it with the manifest, run migrate so grants and policies
match this code, and check the catalog."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from neuropilot.backup import pgtools
from neuropilot.backup.common import BackupError, Say, one, say_stderr
from neuropilot.backup.dump import check, gpg_decrypt, libpq, passphrase_file, pipe
from neuropilot.backup.manifest import (
    Manifest,
    compare,
    newest_known_version,
    read_manifest,
    repeatable_read,
    table_sums,
)
from neuropilot.backup.pgtools import PgTools, require
from neuropilot.config import Settings
from neuropilot.migrate import migrate

AUDIT_TRIGGER = "audit_log_append_only"
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
    """Drop name, ending its sessions. WITH (FORCE) refuses a caller who may not signal every session in
    it, and on PostgreSQL 15 that includes an autovacuum worker (one starts on a freshly restored
    database: seen in CI on the drill's scratch database); a plain DROP DATABASE ends autovacuum workers
    itself, so it is tried next, and only when sessions of others remain is the drop refused."""
    drop = sql.SQL("drop database if exists {}").format(sql.Identifier(name))
    with psycopg.connect(_admin_conninfo(admin_dsn, name), autocommit=True) as conn:
        try:
            conn.execute(drop + sql.SQL(" with (force)"))
            return
        except psycopg.errors.InsufficientPrivilege:
            pass
        try:
            conn.execute(drop)
        except (psycopg.errors.ObjectInUse, psycopg.errors.InsufficientPrivilege):
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
    command = gpg_decrypt(passphrase, file)
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        tail = " | ".join(done.stderr.strip().splitlines()[-2:])
        raise BackupError(f"gpg could not decrypt {file.name} (wrong passphrase or damaged file): {tail}")
    say(f"decrypt: {file.name} decrypts and its integrity check (MDC) passes")


def _pg_restore(tools: PgTools, file: Path, passphrase: Path, target_dsn: str, owner: str) -> None:
    conninfo, env = libpq(target_dsn)
    command = [tools.path("pg_restore"), "--exit-on-error", "--single-transaction", "--no-owner", f"--role={owner}"]
    command += ["--no-password", f"--dbname={conninfo}"]
    check(pipe(gpg_decrypt(passphrase, file), command, consumer_env=env))


def _compare_with(manifest: Manifest, target_dsn: str, say: Say) -> None:
    with psycopg.connect(target_dsn) as conn:
        repeatable_read(conn)
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
    if one(conn, "select has_table_privilege(%s, 'public.audit_log', 'UPDATE, DELETE, TRUNCATE')", (app_role,)):
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
        tables = one(
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
        tools = pgtools.pick_tools(conn.info.server_version // 10000, int(manifest.pg_dump.split(".")[0]))
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
