"""What the catalog must say about the app role, RLS and the SECURITY DEFINER login path (CONTRACT §3)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from tests.pg import TABLES, Db


@pytest.fixture(scope="module")
def catalog(db: Db) -> Iterator[psycopg.Connection]:
    """Read-only catalog queries, as the schema owner."""
    with psycopg.connect(db.owner_dsn, autocommit=True) as conn:
        yield conn


def rows(conn: psycopg.Connection, query: str, args: tuple[Any, ...] | dict[str, Any] = ()) -> list[tuple[Any, ...]]:
    return conn.execute(query, args).fetchall()


def value(conn: psycopg.Connection, query: str, args: tuple[Any, ...] | dict[str, Any] = ()) -> Any:
    row = conn.execute(query, args).fetchone()
    assert row is not None
    return row[0]


def test_app_role_has_no_role_attributes_that_skip_rls(catalog: psycopg.Connection, db: Db) -> None:
    attributes = rows(
        catalog,
        "select rolsuper, rolbypassrls, rolcreaterole, rolcreatedb from pg_roles where rolname = %s",
        (db.app_role,),
    )
    assert attributes == [(False, False, False, False)]


def test_app_role_cannot_become_the_owner(catalog: psycopg.Connection, db: Db) -> None:
    assert value(catalog, "select pg_has_role(%s, %s, 'MEMBER')", (db.app_role, db.owner_role)) is False


@pytest.mark.parametrize(
    ("catalog_table", "owner_column"),
    [
        ("pg_class", "relowner"),
        ("pg_proc", "proowner"),
        ("pg_namespace", "nspowner"),
        ("pg_type", "typowner"),
        ("pg_database", "datdba"),
    ],
)
def test_app_role_owns_nothing(catalog: psycopg.Connection, db: Db, catalog_table: str, owner_column: str) -> None:
    owned = rows(catalog, f"select * from {catalog_table} where {owner_column} = %s::regrole", (db.app_role,))
    assert owned == []


def test_every_public_table_has_row_level_security(catalog: psycopg.Connection) -> None:
    tables = dict(
        rows(
            catalog,
            "select relname, relrowsecurity from pg_class"
            " where relnamespace = 'public'::regnamespace and relkind in ('r', 'p')",
        )
    )
    assert tables.keys() >= set(TABLES)
    assert [name for name, on in tables.items() if not on] == []


def test_views_in_public_run_as_the_caller(catalog: psycopg.Connection) -> None:
    """A view runs as its owner unless security_invoker is set, which would skip RLS for the app role."""
    owner_views = rows(
        catalog,
        "select relname from pg_class where relnamespace = 'public'::regnamespace and relkind in ('v', 'm')"
        " and not coalesce('security_invoker=true' = any(reloptions), false)",
    )
    assert owner_views == []


def test_no_policy_sits_on_a_table_without_rls(catalog: psycopg.Connection) -> None:
    idle = rows(
        catalog,
        "select c.relname, p.polname from pg_policy p join pg_class c on c.oid = p.polrelid where not c.relrowsecurity",
    )
    assert idle == []


def test_no_policy_is_for_all_commands(catalog: psycopg.Connection) -> None:
    commands = dict(
        rows(
            catalog,
            "select polname, polcmd from pg_policy p join pg_class c on c.oid = p.polrelid"
            " where c.relnamespace = 'public'::regnamespace",
        )
    )
    assert commands, "no policies found in schema public"
    assert {name: cmd for name, cmd in commands.items() if cmd == "*"} == {}


def test_security_definer_functions_pin_search_path(catalog: psycopg.Connection) -> None:
    definers = dict(
        rows(
            catalog,
            "select proname, coalesce(proconfig, '{}') from pg_proc"
            " where pronamespace = 'public'::regnamespace and prosecdef",
        )
    )
    assert "auth_user_for_login" in definers
    for name, config in definers.items():
        paths = [entry.removeprefix("search_path=") for entry in config if entry.startswith("search_path=")]
        assert len(paths) == 1, f"{name} does not pin search_path"
        assert paths[0].replace(" ", "").split(",")[-1] == "pg_temp", f"{name}: pg_temp must come last"


def test_login_function_is_executable_by_the_app_role_only(catalog: psycopg.Connection, db: Db) -> None:
    signature = "auth_user_for_login(text)"
    assert value(catalog, "select has_function_privilege('public', %s, 'EXECUTE')", (signature,)) is False
    assert value(catalog, "select has_function_privilege(%s, %s, 'EXECUTE')", (db.app_role, signature)) is True


@pytest.mark.parametrize("privilege", ["USAGE", "CREATE"])
def test_app_role_has_no_privilege_on_the_migration_schema(catalog: psycopg.Connection, db: Db, privilege: str) -> None:
    assert value(catalog, "select has_schema_privilege(%s, 'neuropilot_meta', %s)", (db.app_role, privilege)) is False


@pytest.mark.parametrize("ledger", ["schema_migration", "policy_file"])
def test_app_role_cannot_read_the_migration_ledger(db: Db, ledger: str) -> None:
    with psycopg.connect(db.app_dsn, autocommit=True) as app, pytest.raises(psycopg.errors.InsufficientPrivilege):
        app.execute(f"select * from neuropilot_meta.{ledger}")


@pytest.mark.parametrize("privilege", ["UPDATE", "DELETE", "TRUNCATE"])
def test_app_role_cannot_change_audit_log(catalog: psycopg.Connection, db: Db, privilege: str) -> None:
    assert value(catalog, "select has_table_privilege(%s, 'audit_log', %s)", (db.app_role, privilege)) is False


@pytest.mark.parametrize("privilege", ["TRUNCATE", "REFERENCES", "TRIGGER"])
def test_app_role_has_no_privilege_beyond_dml(catalog: psycopg.Connection, db: Db, privilege: str) -> None:
    """TRUNCATE in particular ignores RLS."""
    granted = rows(
        catalog,
        "select relname from pg_class where relnamespace = 'public'::regnamespace and relkind in ('r', 'p')"
        " and has_table_privilege(%s, oid, %s)",
        (db.app_role, privilege),
    )
    assert granted == []


def test_app_role_cannot_create_objects(catalog: psycopg.Connection, db: Db) -> None:
    assert value(catalog, "select has_schema_privilege(%s, 'public', 'CREATE')", (db.app_role,)) is False
    assert value(catalog, "select has_database_privilege(%s, current_database(), 'CREATE')", (db.app_role,)) is False
    with psycopg.connect(db.app_dsn, autocommit=True) as app, pytest.raises(psycopg.errors.InsufficientPrivilege):
        app.execute("create table public.intruder (id int)")


def test_schema_version_function_is_executable_by_the_app_role_only(catalog: psycopg.Connection, db: Db) -> None:
    signature = "schema_version()"
    assert value(catalog, "select has_function_privilege('public', %s, 'EXECUTE')", (signature,)) is False
    assert value(catalog, "select has_function_privilege(%s, %s, 'EXECUTE')", (db.app_role, signature)) is True
    assert value(catalog, "select prosecdef from pg_proc where oid = %s::regprocedure", (signature,)) is True
