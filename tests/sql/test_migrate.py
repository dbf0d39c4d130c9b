from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from neuropilot.config import sql_dir
from neuropilot.migrate import LOCK_KEY, MigrationError, migrate, migrations, status
from tests.pg import TABLES, Cluster, Db


@pytest.fixture
def empty(cluster: Cluster) -> Iterator[Db]:
    """A database with nothing in it, owned by the test owner role."""
    name = cluster.new_name()
    cluster.create_empty(name)
    try:
        yield cluster.describe(name)
    finally:
        cluster.drop(name)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of sql/ that a test may edit."""
    shutil.copytree(sql_dir(), tmp_path / "sql")
    return tmp_path / "sql"


def run(db: Db, root: Path | None = None) -> tuple[int, list[str]]:
    said: list[str] = []
    return migrate(db.owner_dsn, db.app_role, root, say=said.append), said


def ledger(db: Db) -> list[tuple[int, str, str]]:
    with psycopg.connect(db.owner_dsn) as conn:
        return conn.execute("select version, name, sha256 from neuropilot_meta.schema_migration order by 1").fetchall()


def tables(db: Db) -> set[str]:
    with psycopg.connect(db.owner_dsn) as conn:
        return {r[0] for r in conn.execute("select tablename from pg_tables where schemaname = 'public'")}


def test_empty_database_gets_every_migration_recorded_with_sha256(empty: Db) -> None:
    applied, said = run(empty)
    files = migrations(sql_dir() / "schema")
    assert applied == len(files) >= 3
    assert ledger(empty) == [(m.version, m.name, hashlib.sha256(m.path.read_bytes()).hexdigest()) for m in files]
    assert tables(empty) == set(TABLES)
    assert any(line.startswith("policies item.sql") for line in said)


def test_rerun_is_a_no_op(database: Db) -> None:
    before = ledger(database)
    applied, said = run(database)
    assert (applied, said) == (0, [])
    assert ledger(database) == before


def test_status_lists_pending_then_nothing(empty: Db) -> None:
    st = status(empty.owner_dsn, empty.app_role)
    assert [m.name for m in st.pending][:1] == ["core_tables"]
    assert st.applied == []
    run(empty)
    st = status(empty.owner_dsn, empty.app_role)
    assert st.pending == [] and st.changed_policies == []
    assert [v for v, _, _ in st.applied] == [m.version for m in migrations(sql_dir() / "schema")]


def test_edited_applied_migration_stops_the_run(database: Db, tree: Path) -> None:
    target = tree / "schema" / "0001_core_tables.sql"
    target.write_text(target.read_text() + "\ncreate table sneaky (id int);\n")
    (tree / "schema" / "0099_later.sql").write_text("create table later (id int);\n")
    with pytest.raises(MigrationError, match=r"0001_core_tables\.sql changed after it was applied"):
        run(database, tree)
    assert not {"sneaky", "later"} & tables(database)


def test_failing_migration_rolls_back_and_is_not_recorded(database: Db, tree: Path) -> None:
    (tree / "schema" / "0099_broken.sql").write_text("create table half (id int);\nselect no_such_function();\n")
    with pytest.raises(psycopg.errors.UndefinedFunction):
        run(database, tree)
    assert "half" not in tables(database)
    assert 99 not in [v for v, _, _ in ledger(database)]


def test_new_migration_applies_once(database: Db, tree: Path) -> None:
    (tree / "schema" / "0099_extra.sql").write_text("create table extra (id int);\n")
    assert run(database, tree)[0] == 1
    assert "extra" in tables(database)
    assert run(database, tree) == (0, [])


def test_badly_named_migration_is_refused(database: Db, tree: Path) -> None:
    (tree / "schema" / "5_oops.sql").write_text("select 1;\n")
    with pytest.raises(MigrationError, match="NNNN_lowercase_name"):
        run(database, tree)


def test_second_concurrent_migrator_fails_fast(database: Db) -> None:
    with psycopg.connect(database.owner_dsn, autocommit=True) as holder:
        holder.execute("select pg_advisory_lock(%s)", (LOCK_KEY,))
        started = time.monotonic()
        with pytest.raises(MigrationError, match="another migration is running"):
            run(database)
        assert time.monotonic() - started < 2


def policies(db: Db, table: str) -> set[str]:
    with psycopg.connect(db.owner_dsn) as conn:
        rows = conn.execute("select policyname from pg_policies where tablename = %s", (table,)).fetchall()
    return {r[0] for r in rows}


def test_changed_policy_file_is_reapplied_and_is_the_whole_truth(database: Db, tree: Path) -> None:
    path = tree / "policies" / "location.sql"
    original = path.read_text()
    path.write_text(
        original + "\ncreate policy location_delete_managers on location for delete using (false);\n"
        "grant delete on location to ${app_role};\n"
    )
    applied, said = run(database, tree)
    assert (applied, said) == (0, ["policies location.sql applied"])
    assert "location_delete_managers" in policies(database, "location")
    path.write_text(original)  # removing it from the file removes it from the database, grant included
    run(database, tree)
    assert "location_delete_managers" not in policies(database, "location")
    with psycopg.connect(database.owner_dsn) as conn:
        row = conn.execute("select has_table_privilege(%s, 'location', 'delete')", (database.app_role,)).fetchone()
    assert row == (False,)


def test_missing_app_role_that_owner_may_not_create_names_what_the_dba_must_run(empty: Db) -> None:
    with pytest.raises(MigrationError, match="Ask your DBA to run") as caught:
        migrate(empty.owner_dsn, "np_test_no_such_role", say=lambda _: None)
    assert "create role np_test_no_such_role" in str(caught.value)


def test_missing_app_role_is_created_nologin_when_allowed(empty: Db, cluster: Cluster) -> None:
    role = f"{empty.app_role}_made"
    try:
        migrate(empty.admin_dsn, role, say=lambda _: None)  # a superuser may create roles
        with cluster.admin() as conn:
            row = conn.execute("select rolcanlogin, rolbypassrls from pg_roles where rolname = %s", (role,)).fetchone()
        assert row == (False, False)
    finally:
        with cluster.admin(empty.name) as conn:
            conn.execute(sql.SQL("drop owned by {}").format(sql.Identifier(role)))
            conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(role)))
