"""The one-statement request functions (sql/schema/0009), tested in SQL as the app role.

They take the caller's id and role and set them themselves, so what must hold is: RLS still decides
(they are SECURITY INVOKER), the context dies with the statement (autocommit, as the API calls them),
a refused reference writes nothing, and nobody but the app role may call them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from tests.pg import Db
from tests.sql.test_rls import ITEM_ID, LOCATION_ID, ROLES, SPARE_ITEM_ID, USER_IDS
from tests.sql.test_rls import seed as seed  # this module's database is seeded as test_rls's (conftest.py)

LIST = "select item_number from list_items_by_category_as(%s, %s, %s, %s, %s)"
COUNT = (
    "select id, counted_by, qty_on_hand, refused from create_count_as(%s, %s, %s, %s, %s, null, %s, '10.0.0.1', 'ua')"
)
STOCK = "select item_number, location_id from list_stock_as(%s, %s, %s, null, null, null, null, null, 100)"
FUNCTIONS = (
    "list_items_by_category_as(text, text, text, text, integer)",
    "create_count_as(text, text, uuid, uuid, numeric, timestamptz, jsonb, inet, text, jsonb)",
    "list_stock_as(text, text, uuid, uuid, text, boolean, text, text, integer)",
    "record_count_line_as(text, text, uuid, uuid, uuid, numeric, jsonb, timestamptz, jsonb, inet, text)",
)


@pytest.fixture
def app(db: Db) -> Iterator[psycopg.Connection]:
    """The app role, in autocommit as the API's pool: every statement is its own transaction."""
    with psycopg.connect(db.app_dsn, autocommit=True) as conn:
        yield conn


def rows(conn: psycopg.Connection, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    return conn.execute(sql, args).fetchall()


def counts(owner: psycopg.Connection) -> tuple[int, int]:
    row = owner.execute(
        "select (select count(*) from inventory_count), (select count(*) from audit_log where action = 'count.create')"
    ).fetchone()
    assert row is not None
    return row[0], row[1]


def context(conn: psycopg.Connection) -> tuple[Any, ...] | None:
    return conn.execute("select current_setting('app.user_id', true), current_setting('app.role', true)").fetchone()


@pytest.mark.parametrize("role", ROLES)
def test_every_role_lists_and_the_context_ends_with_the_statement(app: psycopg.Connection, role: str) -> None:
    listed = rows(app, LIST, (str(USER_IDS[role]), role, "dry goods", "", 51))
    assert listed == [("FLOUR",), ("SPARE",)]
    assert rows(app, LIST, (str(USER_IDS[role]), role, "dry goods", "FLOUR", 51)) == [("SPARE",)]
    assert context(app) in ((None, None), ("", ""))  # nothing survives into the next statement


@pytest.mark.parametrize(
    ("user_id", "role"), [("", ""), (str(USER_IDS["admin"]), "root"), (str(USER_IDS["admin"]), "")]
)
def test_no_or_an_unknown_role_lists_nothing(app: psycopg.Connection, user_id: str, role: str) -> None:
    assert rows(app, LIST, (user_id, role, "dry goods", "", 51)) == []


def test_the_list_function_is_read_only(app: psycopg.Connection) -> None:
    """STABLE: a write inside it would fail, as it would under BEGIN READ ONLY."""
    row = app.execute(
        "select provolatile, prosecdef from pg_proc where oid = %s::regprocedure", (FUNCTIONS[0],)
    ).fetchone()
    assert row == ("s", False)


@pytest.mark.parametrize("role", ["admin", "manager", "counter"])
def test_writers_count_as_themselves_with_one_audit_row(
    app: psycopg.Connection, owner: psycopg.Connection, role: str
) -> None:
    before = counts(owner)
    me = str(USER_IDS[role])
    ((count_id, counted_by, qty, refused),) = rows(app, COUNT, (me, role, ITEM_ID, LOCATION_ID, "2.5", '{"a": 1}'))
    assert (str(counted_by), qty, refused) == (me, 2.5, None)
    assert counts(owner) == (before[0] + 1, before[1] + 1)
    audit = owner.execute(
        "select actor_id::text, entity, details, host(ip), user_agent from audit_log where entity_id = %s", (count_id,)
    ).fetchall()
    assert audit == [(me, "inventory_count", {"a": 1}, "10.0.0.1", "ua")]
    assert context(app) in ((None, None), ("", ""))


@pytest.mark.parametrize(
    ("user_id", "role", "outcome"),
    [
        (str(USER_IDS["viewer"]), "viewer", "denied"),  # sees the item, may not count
        ("", "counter", "denied"),  # a role without an id: counted_by cannot be the caller
        ("", "", "item"),  # no context: sees no item at all
        (str(USER_IDS["counter"]), "", "item"),  # an id without a role: the same
    ],
)
def test_a_caller_rls_refuses_writes_nothing(
    app: psycopg.Connection, owner: psycopg.Connection, user_id: str, role: str, outcome: str
) -> None:
    before = counts(owner)
    if outcome == "denied":
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            rows(app, COUNT, (user_id, role, ITEM_ID, LOCATION_ID, "1", None))
    else:
        assert [r[3] for r in rows(app, COUNT, (user_id, role, ITEM_ID, LOCATION_ID, "1", None))] == [outcome]
    assert counts(owner) == before


def test_an_unknown_or_inactive_reference_is_named_and_writes_nothing(
    app: psycopg.Connection, owner: psycopg.Connection
) -> None:
    me, before = str(USER_IDS["counter"]), counts(owner)
    unknown = uuid.UUID("00000000-0000-4000-8000-00000000dead")
    assert rows(app, COUNT, (me, "counter", unknown, LOCATION_ID, "1", None)) == [(unknown, None, None, "item")]
    assert rows(app, COUNT, (me, "counter", ITEM_ID, unknown, "1", None)) == [(unknown, None, None, "location")]
    owner.execute("update item set active = false where id = %s", (SPARE_ITEM_ID,))
    try:
        refused = rows(app, COUNT, (me, "counter", SPARE_ITEM_ID, LOCATION_ID, "1", None))
    finally:
        owner.execute("update item set active = true where id = %s", (SPARE_ITEM_ID,))
    assert [r[3] for r in refused] == ["item"]
    assert counts(owner) == before


def test_a_failing_count_rolls_back_with_its_statement(app: psycopg.Connection, owner: psycopg.Connection) -> None:
    before = counts(owner)
    with pytest.raises(psycopg.errors.CheckViolation):  # qty_on_hand >= 0
        rows(app, COUNT, (str(USER_IDS["counter"]), "counter", ITEM_ID, LOCATION_ID, "-1", None))
    assert counts(owner) == before


@pytest.mark.parametrize("function", FUNCTIONS)
def test_only_the_app_role_may_call_them(db: Db, app: psycopg.Connection, function: str) -> None:
    row = app.execute(
        "select has_function_privilege('public', %s, 'execute'), has_function_privilege(%s, %s, 'execute'),"
        " (select prosecdef from pg_proc where oid = %s::regprocedure)",
        (function, db.app_role, function, function),
    ).fetchone()
    assert row == (False, True, False)


def test_an_unknown_item_and_location_name_the_item(app: psycopg.Connection, owner: psycopg.Connection) -> None:
    """The item is checked first, as the API's 422 names $.item_id before $.location_id."""
    me, before = str(USER_IDS["counter"]), counts(owner)
    unknown = uuid.UUID("00000000-0000-4000-8000-00000000dead")
    assert rows(app, COUNT, (me, "counter", unknown, unknown, "1", None)) == [(unknown, None, None, "item")]
    assert counts(owner) == before


def test_the_count_sets_stock_level_inside_its_statement(app: psycopg.Connection, owner: psycopg.Connection) -> None:
    """The stock_level trigger fires for the count written by the function's one query."""
    me = str(USER_IDS["counter"])
    ((count_id, _, _, refused),) = rows(app, COUNT, (me, "counter", SPARE_ITEM_ID, LOCATION_ID, "7.25", None))
    level = owner.execute(
        "select on_hand, last_count_id from stock_level where item_id = %s and location_id = %s",
        (SPARE_ITEM_ID, LOCATION_ID),
    ).fetchone()
    assert (refused, level) == (None, (7.25, count_id))


def test_current_app_user_id_is_inlined(app: psycopg.Connection) -> None:
    """Policies and inserts call it on every write; inlined, it is an expression, not a nested query
    planned on every call (sql/schema/0015)."""
    plan = "\n".join(line for (line,) in app.execute("explain (verbose, costs off) select current_app_user_id()"))
    assert "current_setting('app.user_id'" in plan and "current_app_user_id" not in plan


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_the_stock_page_and_its_settings_end_with_the_call(
    app: psycopg.Connection, owner: psycopg.Connection, role: str
) -> None:
    """list_stock_as (sql/schema/0017): the page as the caller, RLS deciding; its planner settings are
    SET clauses, undone when it returns, and the caller's context dies with the statement."""
    everything = owner.execute(
        "select i.item_number, s.location_id from stock_level as s join item as i on i.id = s.item_id"
        " join location as l on l.id = s.location_id order by i.item_number, l.code"
    ).fetchall()
    assert everything  # the seed holds stock, so an empty page below would be RLS, not an empty table
    assert rows(app, STOCK, (str(USER_IDS[role]), role, None)) == everything
    located = rows(app, STOCK, (str(USER_IDS[role]), role, LOCATION_ID))
    assert located == [row for row in everything if row[1] == LOCATION_ID]
    settings = app.execute("select current_setting('enable_sort'), current_setting('jit')").fetchone()
    assert settings == ("on", app.execute("select reset_val from pg_settings where name = 'jit'").fetchone()[0])  # type: ignore[index]
    assert context(app) in ((None, None), ("", ""))


@pytest.mark.parametrize(
    ("user_id", "role"), [("", ""), (str(USER_IDS["admin"]), "root"), (str(USER_IDS["admin"]), "")]
)
def test_no_or_an_unknown_role_reads_no_stock(app: psycopg.Connection, user_id: str, role: str) -> None:
    assert rows(app, STOCK, (user_id, role, None)) == []


def test_the_stock_function_is_read_only(app: psycopg.Connection) -> None:
    row = app.execute(
        "select provolatile, prosecdef, proconfig from pg_proc where oid = %s::regprocedure", (FUNCTIONS[2],)
    ).fetchone()
    assert row == ("s", False, ["enable_sort=off", "enable_nestloop=on", "jit=off"])
