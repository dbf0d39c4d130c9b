"""Checks made in the database: the runtime role as DATABASE_URL logs in, RLS, the audit trigger
(all read from the catalog, which any role may read), and the migrations as the owner."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg

from neuropilot.config import Settings
from neuropilot.doctor.report import Check
from neuropilot.migrate import MigrationError, status

AUDIT_TRIGGER = "audit_log_append_only"
_NAMES = ("database", "runtime_role", "row_level_security", "audit_log")
_TABLES = "c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')"
_ROLE = """
select current_user::text, rolsuper, rolbypassrls, rolcreaterole,
       has_database_privilege(current_database(), 'CREATE')
from pg_roles where rolname = current_user
"""
_OWNERS = f"""
select c.relname::text, pg_get_userbyid(c.relowner)::text, c.relowner = r.oid, pg_has_role(r.oid, c.relowner, 'MEMBER')
from pg_class c, pg_roles r where r.rolname = current_user and {_TABLES} order by 1
"""
_EXTRA_PRIVILEGES = f"""
select p.privilege, string_agg(c.relname::text, ', ' order by c.relname)
from pg_class c cross join unnest(%s::text[]) as p (privilege)
where {_TABLES} and has_table_privilege(c.oid, p.privilege)
group by 1 order by 1
"""
_CREATE_ON_SCHEMA = """
select string_agg(nspname::text, ', ' order by nspname) from pg_namespace
where nspname <> 'information_schema' and nspname not like 'pg\\_%' and has_schema_privilege(oid, 'CREATE')
"""
_RLS = f"""
select c.relname::text, c.relrowsecurity, exists (select from pg_policy p where p.polrelid = c.oid)
from pg_class c where {_TABLES} order by 1
"""
_TRIGGER = "select tgenabled from pg_trigger where tgrelid = to_regclass('public.audit_log') and tgname = %s"
_AUDIT_WRITES = """
select string_agg(p, ', ') from unnest(array['UPDATE', 'DELETE', 'TRUNCATE']) as p
where to_regclass('public.audit_log') is not null and has_table_privilege('public.audit_log', p)
"""


def run(settings: Settings) -> list[Check]:
    return [*runtime(settings), migrations(settings)]


def runtime(settings: Settings) -> list[Check]:
    if not settings.database_url:
        status_ = Check.fail if settings.production else Check.warn
        skipped = [status_("database", "DATABASE_URL is not set: the database was not checked")]
        return skipped + [Check.warn(name, "not checked: no database") for name in _NAMES[1:]]
    try:
        conn = psycopg.connect(settings.database_url, autocommit=True, connect_timeout=5)
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        return [Check.fail("database", f"cannot connect with DATABASE_URL: {reason}")] + [
            Check.warn(name, "not checked: no database connection") for name in _NAMES[1:]
        ]
    with conn:
        server = conn.info.parameter_status("server_version") or "?"
        connected = Check.ok("database", f"connected as {conn.info.user} to {conn.info.dbname} (PostgreSQL {server})")
        return [connected, runtime_role(conn, settings.app_role), row_level_security(conn), audit_log(conn)]


def _one_row(conn: psycopg.Connection, query: str, args: tuple[object, ...] | None = None) -> tuple[object, ...]:
    row = conn.execute(query, args).fetchone()
    assert row is not None
    return tuple(row)


def role_problems(conn: psycopg.Connection, app_role: str) -> Iterator[str]:
    user, superuser, bypassrls, createrole, create_db = _one_row(conn, _ROLE)
    if superuser:
        yield f"{user} is a superuser (RLS does not bind it)"
    if bypassrls:
        yield f"{user} has BYPASSRLS"
    if createrole:
        yield f"{user} has CREATEROLE (it can grant itself other roles)"
    owners = conn.execute(_OWNERS).fetchall()
    if owned := [t for t, _, own, _ in owners if own]:
        yield f"{user} owns the tables ({_few(owned)}): RLS does not bind a table's owner; log in as the app role"
    elif member := sorted({owner for _, owner, own, member in owners if member and not own}):
        yield f"{user} is a member of the owner role {', '.join(member)}"
    extra = ["TRUNCATE", "REFERENCES", "TRIGGER"] + (["MAINTAIN"] if conn.info.server_version >= 170000 else [])
    for privilege, tables in conn.execute(_EXTRA_PRIVILEGES, (extra,)).fetchall():
        yield f"{privilege} on {_few(tables.split(', '))}"
    if schemas := _one_row(conn, _CREATE_ON_SCHEMA)[0]:
        yield f"CREATE on schema {schemas}"
    if create_db:
        yield "CREATE on the database"
    app = conn.execute("select pg_has_role(current_user, oid, 'USAGE') from pg_roles where rolname = %s", (app_role,))
    if not (row := app.fetchone()) or not row[0]:
        yield f"{user} is not NEUROPILOT_APP_ROLE ({app_role}) nor inherits it: the migrations grant to that role"


def _few(names: list[str], shown: int = 3) -> str:
    return ", ".join(names[:shown]) + (f" and {len(names) - shown} more" if len(names) > shown else "")


def runtime_role(conn: psycopg.Connection, app_role: str) -> Check:
    problems = list(role_problems(conn, app_role))
    if problems:
        return Check.fail("runtime_role", "; ".join(problems))
    return Check.ok(
        "runtime_role",
        f"{conn.info.user}: not the owner nor a member of it, no superuser, BYPASSRLS or CREATEROLE, DML grants only",
    )


def row_level_security(conn: psycopg.Connection) -> Check:
    tables = conn.execute(_RLS).fetchall()
    if not tables:
        return Check.fail("row_level_security", "no tables in schema public: is this a migrated NeuroPilot database?")
    off = [name for name, enabled, _ in tables if not enabled]
    bare = [name for name, _, has_policy in tables if not has_policy]
    problems = ([f"RLS off on {_few(off)}"] if off else []) + ([f"no policy on {_few(bare)}"] if bare else [])
    if problems:
        return Check.fail("row_level_security", "; ".join(problems))
    return Check.ok("row_level_security", f"enabled, with policies, on all {len(tables)} tables")


def audit_log(conn: psycopg.Connection) -> Check:
    trigger = conn.execute(_TRIGGER, (AUDIT_TRIGGER,)).fetchone()
    if trigger is None:
        return Check.fail("audit_log", f"trigger {AUDIT_TRIGGER} is missing: audit_log is not append-only")
    if trigger[0] == "D":
        return Check.fail("audit_log", f"trigger {AUDIT_TRIGGER} is disabled: audit_log is not append-only")
    if writes := _one_row(conn, _AUDIT_WRITES)[0]:
        return Check.fail("audit_log", f"{conn.info.user} may {writes} audit_log")
    return Check.ok(
        "audit_log", f"append-only: {AUDIT_TRIGGER} enabled, no UPDATE/DELETE/TRUNCATE for {conn.info.user}"
    )


def migrations(settings: Settings) -> Check:
    if not settings.migrator_database_url:
        return Check.warn(
            "migrations", "not checked: MIGRATOR_DATABASE_URL is not set (the owner's DSN compares migrations)"
        )
    try:
        found = status(settings.migrator_database_url, settings.app_role)
    except MigrationError as exc:
        return Check.fail("migrations", str(exc))
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        return Check.fail("migrations", f"cannot connect with MIGRATOR_DATABASE_URL: {reason}")
    if found.pending:
        names = ", ".join(m.path.name for m in found.pending)
        return Check.fail("migrations", f"{len(found.pending)} pending ({names}): run `neuropilot migrate`")
    if found.changed_policies:
        names = _few(found.changed_policies)
        return Check.fail("migrations", f"policy files not applied as they are now ({names}): run `neuropilot migrate`")
    newest = max((v for v, _, _ in found.applied), default=0)
    return Check.ok("migrations", f"current: {len(found.applied)} applied (newest {newest:04d}), policies up to date")
