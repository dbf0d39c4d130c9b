"""Row-level security, tested in SQL as the app role (CONTRACT §3, §4).

One migrated database per module, seeded once by the schema owner. Every case opens its own
transaction on an app-role connection, sets the request context exactly as the API does
(`set_config(…, true)`), tries one statement and is rolled back, so cases never see each other.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import psycopg
import pytest
from psycopg.pq import TransactionStatus

from tests.pg import TABLES, Db

ROLES = ("admin", "manager", "counter", "viewer")
NONE = "none"  # a transaction that never set app.user_id / app.role
ACTORS = (*ROLES, NONE)
OPERATIONS = ("select", "insert", "update", "delete")

USER_IDS = {role: uuid.UUID(f"00000000-0000-4000-8000-00000000000{n}") for n, role in enumerate(ROLES, start=1)}
LOCATION_ID = uuid.UUID("00000000-0000-4000-8000-0000000000a1")
ITEM_ID = uuid.UUID("00000000-0000-4000-8000-0000000000b1")  # has a count, a movement and a PO line
SPARE_ITEM_ID = uuid.UUID("00000000-0000-4000-8000-0000000000b2")  # no history: deletable
ORDER_ID = uuid.UUID("00000000-0000-4000-8000-0000000000c1")
SUPPLIER_ID = uuid.UUID("00000000-0000-4000-8000-0000000000d1")
SUPPLIER_ITEM_ID = uuid.UUID("00000000-0000-4000-8000-0000000000d2")  # its first price is the one history row

# What the contract allows (CONTRACT §3, §4), written down by hand, not read from sql/policies.
# Seed: 4 users (one per role), 1 location, 2 items (one with history, one spare), 1 pack, 1 count, 1 movement,
# 1 purchase order with 1 line, 1 supplier with 1 supplier item (and its 1 price history row), 1 audit row,
# and 1 refresh token and 1 idempotency key per user; the
# count and the movement give 1 stock_level row (written by the triggers).
# A number is the rows visible (select) or affected (update, delete; RLS hides a row → 0);
# ok = the insert is accepted; denied = InsufficientPrivilege (no grant, or the row fails the policy).
# Where the contract is silent: refresh tokens are kept for reuse detection (never deleted by the app),
# idempotency keys are never updated (an expired one is deleted and inserted again).
MATRIX = """
table                operation  admin   manager  counter  viewer  none
app_user             select     4       1        1        1       0
app_user             insert     ok      denied   denied   denied  denied
app_user             update     4       1        1        1       0
app_user             delete     denied  denied   denied   denied  denied
location             select     1       1        1        1       0
location             insert     ok      ok       denied   denied  denied
location             update     1       1        0        0       0
location             delete     denied  denied   denied   denied  denied
item                 select     2       2        2        2       0
item                 insert     ok      ok       denied   denied  denied
item                 update     2       2        0        0       0
item                 delete     1       1        0        0       0
inventory_count      select     1       1        1        1       0
inventory_count      insert     ok      ok       ok       denied  denied
inventory_count      update     denied  denied   denied   denied  denied
inventory_count      delete     denied  denied   denied   denied  denied
movement             select     1       1        1        1       0
movement             insert     ok      ok       denied   denied  denied
movement             update     denied  denied   denied   denied  denied
movement             delete     denied  denied   denied   denied  denied
purchase_order       select     1       1        0        0       0
purchase_order       insert     ok      ok       denied   denied  denied
purchase_order       update     1       1        0        0       0
purchase_order       delete     denied  denied   denied   denied  denied
purchase_order_line  select     1       1        0        0       0
purchase_order_line  insert     ok      ok       denied   denied  denied
purchase_order_line  update     1       1        0        0       0
purchase_order_line  delete     1       1        0        0       0
audit_log            select     1       0        0        0       0
audit_log            insert     ok      ok       ok       ok      denied
audit_log            update     denied  denied   denied   denied  denied
audit_log            delete     denied  denied   denied   denied  denied
refresh_token        select     4       1        1        1       0
refresh_token        insert     ok      ok       ok       ok      denied
refresh_token        update     4       1        1        1       0
refresh_token        delete     denied  denied   denied   denied  denied
idempotency_key      select     1       1        1        1       0
idempotency_key      insert     ok      ok       ok       ok      denied
idempotency_key      update     denied  denied   denied   denied  denied
idempotency_key      delete     1       1        1        1       0
stock_level          select     1       1        1        1       0
stock_level          insert     denied  denied   denied   denied  denied
stock_level          update     denied  denied   denied   denied  denied
stock_level          delete     denied  denied   denied   denied  denied
item_pack            select     1       1        1        1       0
item_pack            insert     ok      ok       denied   denied  denied
item_pack            update     1       1        0        0       0
item_pack            delete     denied  denied   denied   denied  denied
supplier             select     1       1        0        0       0
supplier             insert     ok      ok       denied   denied  denied
supplier             update     1       1        0        0       0
supplier             delete     denied  denied   denied   denied  denied
supplier_item        select     1       1        0        0       0
supplier_item        insert     ok      ok       denied   denied  denied
supplier_item        update     1       1        0        0       0
supplier_item        delete     denied  denied   denied   denied  denied
supplier_item_price  select     1       1        0        0       0
supplier_item_price  insert     denied  denied   denied   denied  denied
supplier_item_price  update     denied  denied   denied   denied  denied
supplier_item_price  delete     denied  denied   denied   denied  denied
"""

# One statement per table and operation. %(me)s is the user id the row claims (counted_by, created_by,
# actor_id, user_id): the actor's own id, or the admin's when no settings are set.
STATEMENTS: dict[str, dict[str, str]] = {
    "app_user": {
        "insert": "insert into app_user (email, display_name, role, password_hash)"
        " values ('new@example.test', 'New', 'viewer', 'x')",
        "update": "update app_user set display_name = display_name || '.'",
        "delete": "delete from app_user",
    },
    "location": {
        "insert": "insert into location (code, name, temp_zone) values ('NEW', 'New', 'cooler')",
        "update": "update location set name = name || '.'",
        "delete": "delete from location",
    },
    "item": {
        "insert": "insert into item (item_number, name, unit) values ('NEW', 'New', 'ea')",
        "update": "update item set name = name || '.'",
        "delete": "delete from item where id = %(spare_item)s",
    },
    "inventory_count": {
        "insert": "insert into inventory_count (item_id, location_id, counted_by, qty_on_hand)"
        " values (%(item)s, %(location)s, %(me)s, 7)",
        "update": "update inventory_count set qty_on_hand = qty_on_hand + 1",
        "delete": "delete from inventory_count",
    },
    "movement": {
        "insert": "insert into movement (item_id, location_id, type, qty, created_by)"
        " values (%(item)s, %(location)s, 'receive', 2, %(me)s)",
        "update": "update movement set note = 'edited'",
        "delete": "delete from movement",
    },
    "purchase_order": {
        "insert": "insert into purchase_order (po_number, supplier, created_by) values ('PO-NEW', 'Dairy', %(me)s)",
        "update": "update purchase_order set notes = 'edited'",
        "delete": "delete from purchase_order",
    },
    "purchase_order_line": {
        "insert": "insert into purchase_order_line (order_id, item_id, req_qty) values (%(order)s, %(spare_item)s, 4)",
        "update": "update purchase_order_line set note = 'edited'",
        "delete": "delete from purchase_order_line",
    },
    "audit_log": {
        "insert": "insert into audit_log (actor_id, action, entity) values (%(me)s, 'test', 'item')",
        "update": "update audit_log set action = 'forged'",
        "delete": "delete from audit_log",
    },
    "refresh_token": {
        "insert": "insert into refresh_token (user_id, family_id, token_hash, expires_at)"
        " values (%(me)s, gen_random_uuid(), %(token_hash)s, now() + interval '1 day')",
        "update": "update refresh_token set revoked_at = now(), revoked_reason = 'test'",
        "delete": "delete from refresh_token",
    },
    "idempotency_key": {
        "insert": "insert into idempotency_key (user_id, key, method, path, request_hash, status_code, response_body)"
        " values (%(me)s, 'new-key', 'POST', '/v1/items', %(token_hash)s, 201, '{}')",
        "update": "update idempotency_key set status_code = 500",
        "delete": "delete from idempotency_key",
    },
    # Derived by triggers only (0006_stock_level.sql): the app role may read it and nothing else.
    "stock_level": {
        "insert": "insert into stock_level (item_id, location_id, on_hand) values (%(spare_item)s, %(location)s, 1)",
        "update": "update stock_level set on_hand = on_hand + 1",
        "delete": "delete from stock_level",
    },
    "item_pack": {
        "insert": "insert into item_pack (item_id, name, qty) values (%(item)s, 'bag', 25)",
        "update": "update item_pack set qty = qty + 1",
        "delete": "delete from item_pack",
    },
    "supplier": {
        "insert": "insert into supplier (name) values ('New supplier')",
        "update": "update supplier set notes = 'edited'",
        "delete": "delete from supplier",
    },
    "supplier_item": {
        "insert": "insert into supplier_item (supplier_id, item_id, price) values (%(supplier)s, %(spare_item)s, 1)",
        "update": "update supplier_item set price = price + 1",
        "delete": "delete from supplier_item",
    },
    # Written by the trigger on supplier_item only (0013_suppliers.sql): the app role reads it.
    "supplier_item_price": {
        "insert": "insert into supplier_item_price (supplier_item_id, price) values (%(supplier_item)s, 1)",
        "update": "update supplier_item_price set price = price + 1",
        "delete": "delete from supplier_item_price",
    },
}

SET_CONTEXT = "select set_config('app.user_id', %s, true), set_config('app.role', %s, true)"
Expected = int | Literal["ok", "denied"]


@dataclass(frozen=True)
class Case:
    table: str
    operation: str
    actor: str
    expected: Expected

    @property
    def id(self) -> str:
        return f"{self.table}-{self.operation}-{self.actor}"


def parse_matrix(text: str) -> list[Case]:
    header, *rows = (line.split() for line in text.strip().splitlines())
    assert header == ["table", "operation", *ACTORS]
    cases: list[Case] = []
    for table, operation, *cells in rows:
        for actor, cell in zip(ACTORS, cells, strict=True):
            expected: Expected = cell if cell in ("ok", "denied") else int(cell)  # type: ignore[assignment]
            cases.append(Case(table, operation, actor, expected))
    return cases


CASES = parse_matrix(MATRIX)


def token_hash(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def params(me: uuid.UUID | None) -> dict[str, Any]:
    return {
        "me": me,
        "item": ITEM_ID,
        "spare_item": SPARE_ITEM_ID,
        "location": LOCATION_ID,
        "order": ORDER_ID,
        "supplier": SUPPLIER_ID,
        "supplier_item": SUPPLIER_ITEM_ID,
        "token_hash": token_hash("inserted by a test case"),
    }


def seed(owner: psycopg.Connection) -> None:
    """One row per table (one user, refresh token and idempotency key per role), as the owner."""
    for role, user_id in USER_IDS.items():
        owner.execute(
            "insert into app_user (id, email, display_name, role, password_hash) values (%s, %s, %s, %s, 'hash')",
            (user_id, f"{role}@example.test", role.title(), role),
        )
        owner.execute(
            "insert into refresh_token (user_id, family_id, token_hash, expires_at)"
            " values (%s, gen_random_uuid(), %s, now() + interval '1 day')",
            (user_id, token_hash(role)),
        )
        owner.execute(
            "insert into idempotency_key (user_id, key, method, path, request_hash, status_code, response_body)"
            " values (%s, 'seed', 'POST', '/v1/items', %s, 201, '{}')",
            (user_id, token_hash(role)),
        )
    owner.execute(
        "insert into location (id, code, name, temp_zone) values (%s, 'DRY-1', 'Dry store', 'dry')", (LOCATION_ID,)
    )
    owner.execute(
        "insert into item (id, item_number, name, unit, category)"
        " values (%s, 'FLOUR', 'Flour', 'kg', 'dry goods'), (%s, 'SPARE', 'Spare', 'ea', 'dry goods')",
        (ITEM_ID, SPARE_ITEM_ID),
    )
    owner.execute("insert into item_pack (item_id, name, qty) values (%s, 'case', 6)", (ITEM_ID,))
    owner.execute(
        "insert into inventory_count (item_id, location_id, counted_by, qty_on_hand) values (%s, %s, %s, 5)",
        (ITEM_ID, LOCATION_ID, USER_IDS["counter"]),
    )
    owner.execute(
        "insert into movement (item_id, location_id, type, qty, created_by) values (%s, %s, 'receive', 3, %s)",
        (ITEM_ID, LOCATION_ID, USER_IDS["manager"]),
    )
    owner.execute(
        "insert into purchase_order (id, po_number, supplier, created_by) values (%s, 'PO-1', 'Mill', %s)",
        (ORDER_ID, USER_IDS["manager"]),
    )
    owner.execute(
        "insert into purchase_order_line (order_id, item_id, req_qty) values (%s, %s, 10)", (ORDER_ID, ITEM_ID)
    )
    owner.execute("insert into supplier (id, name) values (%s, 'Mill & Co')", (SUPPLIER_ID,))
    owner.execute(
        "insert into supplier_item (id, supplier_id, item_id, pack_id, price, preferred)"
        " select %s, %s, item_id, id, 4.5, true from item_pack",
        (SUPPLIER_ITEM_ID, SUPPLIER_ID),
    )
    owner.execute(
        "insert into audit_log (actor_id, action, entity, entity_id) values (%s, 'create', 'item', %s)",
        (USER_IDS["admin"], ITEM_ID),
    )


@pytest.fixture(scope="module")
def app(db: Db) -> Iterator[psycopg.Connection]:
    """The app role's connection, shared by the module; every case rolls its transaction back."""
    with psycopg.connect(db.app_dsn) as conn:
        yield conn


@contextmanager
def rolled_back(conn: psycopg.Connection) -> Iterator[psycopg.Cursor[Any]]:
    assert conn.info.transaction_status == TransactionStatus.IDLE
    try:
        with conn.cursor() as cur:
            yield cur
    finally:
        conn.rollback()


@contextmanager
def request_as(conn: psycopg.Connection, user_id: str | None, role: str | None) -> Iterator[psycopg.Cursor[Any]]:
    """A transaction set up as the API sets one up; None leaves that setting untouched."""
    with rolled_back(conn) as cur:
        if user_id is not None:
            cur.execute("select set_config('app.user_id', %s, true)", (user_id,))
        if role is not None:
            cur.execute("select set_config('app.role', %s, true)", (role,))
        yield cur


@contextmanager
def acting(db: Db, app: psycopg.Connection, actor: str) -> Iterator[psycopg.Cursor[Any]]:
    """A role's request on the shared connection, or (NONE) a brand-new connection that never set anything."""
    if actor != NONE:
        with request_as(app, str(USER_IDS[actor]), actor) as cur:
            yield cur
        return
    with psycopg.connect(db.app_dsn) as fresh, rolled_back(fresh) as cur:
        yield cur


def count(cur: psycopg.Cursor[Any], query: str, args: tuple[Any, ...] = ()) -> int:
    row = cur.execute(query, args).fetchone()
    assert row is not None
    return int(row[0])


def test_app_connection_is_the_rls_bound_app_role(db: Db, app: psycopg.Connection) -> None:
    with rolled_back(app) as cur:
        assert cur.execute("select current_user, row_security_active('item')").fetchone() == (db.app_role, True)


def test_matrix_covers_every_table_and_operation(app: psycopg.Connection) -> None:
    with rolled_back(app) as cur:
        tables = {r[0] for r in cur.execute("select tablename from pg_tables where schemaname = 'public'")}
    assert tables == set(TABLES), "a table was added or removed: extend MATRIX and STATEMENTS"
    assert sorted((c.table, c.operation) for c in CASES if c.actor == NONE) == sorted(
        (t, op) for t in TABLES for op in OPERATIONS
    )


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rls_matrix(db: Db, app: psycopg.Connection, case: Case) -> None:
    me = USER_IDS.get(case.actor, USER_IDS["admin"])
    with acting(db, app, case.actor) as cur:
        if case.operation == "select":
            assert count(cur, f"select count(*) from {case.table}") == case.expected
        elif case.expected == "denied":
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                cur.execute(STATEMENTS[case.table][case.operation], params(me))
        else:
            cur.execute(STATEMENTS[case.table][case.operation], params(me))
            assert cur.rowcount == (1 if case.expected == "ok" else case.expected)


# --- writing as someone else -------------------------------------------------------------------------------

WRITERS = {
    "inventory_count": ("admin", "manager", "counter"),
    "movement": ("admin", "manager"),
    "purchase_order": ("admin", "manager"),
    "audit_log": ROLES,
}
IMPERSONATIONS = [
    pytest.param(table, role, claimed, id=f"{table}-{role}-as-{claimed or 'null'}")
    for table, roles in WRITERS.items()
    for role in roles
    for claimed in (next(r for r in ROLES if r != role), None)
]


@pytest.mark.parametrize(("table", "role", "claimed"), IMPERSONATIONS)
def test_rows_cannot_claim_another_user(app: psycopg.Connection, table: str, role: str, claimed: str | None) -> None:
    with request_as(app, str(USER_IDS[role]), role) as cur, pytest.raises(psycopg.errors.InsufficientPrivilege):
        cur.execute(STATEMENTS[table]["insert"], params(USER_IDS[claimed] if claimed else None))


# --- movement: counters insert waste and nothing else (CONTRACT §15) ----------------------------------------

MOVEMENT_INSERT = (
    "insert into movement (item_id, location_id, type, qty, reason, created_by)"
    " values (%(item)s, %(location)s, %(type)s, %(qty)s, %(reason)s, %(me)s)"
)
KINDS = {"waste": (-1, "spoiled"), "receive": (1, None), "use": (-1, None), "adjust": (1, None), "transfer": (1, None)}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("role", ROLES)
def test_only_managers_insert_every_kind_of_movement_counters_only_waste(
    app: psycopg.Connection, role: str, kind: str
) -> None:
    qty, reason = KINDS[kind]
    values = params(USER_IDS[role]) | {"type": kind, "qty": qty, "reason": reason}
    allowed = role in ("admin", "manager") or (role == "counter" and kind == "waste")
    with request_as(app, str(USER_IDS[role]), role) as cur:
        if allowed:
            cur.execute(MOVEMENT_INSERT, values)
            assert cur.rowcount == 1
        else:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                cur.execute(MOVEMENT_INSERT, values)


@pytest.mark.parametrize("claimed", ["admin", None])
def test_counter_waste_cannot_claim_another_user(app: psycopg.Connection, claimed: str | None) -> None:
    values = params(USER_IDS[claimed] if claimed else None) | {"type": "waste", "qty": -1, "reason": "expired"}
    with (
        request_as(app, str(USER_IDS["counter"]), "counter") as cur,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        cur.execute(MOVEMENT_INSERT, values)


# --- app_user: own row, other rows, privileged columns -----------------------------------------------------

NON_ADMINS = ("manager", "counter", "viewer")
PRIVILEGED_CHANGES = {"role": "admin", "active": False, "email": "changed@example.test"}


@pytest.mark.parametrize("role", NON_ADMINS)
@pytest.mark.parametrize("column", PRIVILEGED_CHANGES)
def test_non_admin_cannot_change_own_privileged_column(app: psycopg.Connection, role: str, column: str) -> None:
    with request_as(app, str(USER_IDS[role]), role) as cur, pytest.raises(psycopg.errors.InsufficientPrivilege):
        cur.execute(f"update app_user set {column} = %s where id = %s", (PRIVILEGED_CHANGES[column], USER_IDS[role]))


@pytest.mark.parametrize("column", PRIVILEGED_CHANGES)
def test_admin_can_change_another_users_privileged_column(app: psycopg.Connection, column: str) -> None:
    other = USER_IDS["viewer"]
    with request_as(app, str(USER_IDS["admin"]), "admin") as cur:
        cur.execute(f"update app_user set {column} = %s where id = %s", (PRIVILEGED_CHANGES[column], other))
        assert cur.rowcount == 1


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("column", ["display_name", "password_hash"])
def test_user_can_change_own_profile_column(app: psycopg.Connection, role: str, column: str) -> None:
    with request_as(app, str(USER_IDS[role]), role) as cur:
        cur.execute(f"update app_user set {column} = 'changed' where id = %s", (USER_IDS[role],))
        assert cur.rowcount == 1
        assert count(cur, f"select count(*) from app_user where {column} = 'changed'") == 1


@pytest.mark.parametrize("role", NON_ADMINS)
def test_user_sees_only_own_rows(app: psycopg.Connection, role: str) -> None:
    me = USER_IDS[role]
    with request_as(app, str(me), role) as cur:
        assert cur.execute("select id from app_user").fetchall() == [(me,)]
        assert cur.execute("select user_id from refresh_token").fetchall() == [(me,)]
        assert cur.execute("select user_id from idempotency_key").fetchall() == [(me,)]


@pytest.mark.parametrize("role", NON_ADMINS)
def test_user_cannot_see_or_change_another_users_rows(app: psycopg.Connection, role: str) -> None:
    others = [uid for r, uid in USER_IDS.items() if r != role]
    with request_as(app, str(USER_IDS[role]), role) as cur:
        assert count(cur, "select count(*) from app_user where id = any(%s)", (others,)) == 0
        cur.execute("update app_user set display_name = 'hijacked' where id = any(%s)", (others,))
        assert cur.rowcount == 0
        cur.execute("update refresh_token set revoked_at = now() where user_id = any(%s)", (others,))
        assert cur.rowcount == 0
        cur.execute("delete from idempotency_key where user_id = any(%s)", (others,))
        assert cur.rowcount == 0


def test_idempotency_keys_are_private_even_from_admins(app: psycopg.Connection) -> None:
    with request_as(app, str(USER_IDS["admin"]), "admin") as cur:
        assert cur.execute("select user_id from idempotency_key").fetchall() == [(USER_IDS["admin"],)]


@pytest.mark.parametrize("role_setting", [None, ""], ids=["role-never-set", "role-empty"])
def test_user_id_without_a_role_cannot_promote_itself(db: Db, role_setting: str | None) -> None:
    """A missing app.role must not count as 'no restriction' on the admin-only columns of app_user."""
    me = USER_IDS["viewer"]
    with psycopg.connect(db.app_dsn) as fresh, request_as(fresh, str(me), role_setting) as cur:
        cur.execute("update app_user set role = 'admin' where id = %s", (me,))
        assert cur.rowcount == 0
        cur.execute("update app_user set display_name = 'x' where id = %s", (me,))
        assert cur.rowcount == 0


# --- missing, empty or garbage settings --------------------------------------------------------------------


@pytest.mark.parametrize("table", TABLES)
def test_empty_settings_see_and_write_nothing(db: Db, app: psycopg.Connection, table: str) -> None:
    """The API's anonymous identity sets both settings to ''."""
    with request_as(app, "", "") as cur:
        assert count(cur, f"select count(*) from {table}") == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            cur.execute(STATEMENTS[table]["insert"], params(USER_IDS["admin"]))


GARBAGE_USER_IDS = [
    "not-a-uuid",
    "",
    "' or true --",
    "00000000-0000-4000-8000-00000000000g",
    str(USER_IDS["viewer"]) + "x",
    str(USER_IDS["viewer"]).replace("-", ""),
]


@pytest.mark.parametrize("user_id", GARBAGE_USER_IDS)
def test_garbage_user_id_raises_nothing_and_owns_nothing(app: psycopg.Connection, user_id: str) -> None:
    with request_as(app, user_id, "viewer") as cur:
        assert cur.execute("select current_app_user_id()").fetchone() == (None,)
        for table in ("app_user", "refresh_token", "idempotency_key"):
            assert count(cur, f"select count(*) from {table}") == 0, table
        assert count(cur, "select count(*) from item") == 2  # the role still applies; nothing failed
        cur.execute("update app_user set display_name = 'x'")
        assert cur.rowcount == 0
    with request_as(app, user_id, "viewer") as cur, pytest.raises(psycopg.errors.InsufficientPrivilege):
        cur.execute(STATEMENTS["audit_log"]["insert"], params(None))


@pytest.mark.parametrize("role", ["ADMIN", "admin ", "superuser", "owner"])
def test_unknown_role_sees_nothing(app: psycopg.Connection, role: str) -> None:
    with request_as(app, str(USER_IDS["admin"]), role) as cur:
        for table in ("item", "location", "inventory_count", "movement", "purchase_order", "audit_log"):
            assert count(cur, f"select count(*) from {table}") == 0, table
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            cur.execute(STATEMENTS["item"]["insert"], params(USER_IDS["admin"]))


def test_settings_do_not_survive_the_transaction(db: Db) -> None:
    with psycopg.connect(db.app_dsn) as conn:
        conn.execute(SET_CONTEXT, (str(USER_IDS["admin"]), "admin"))
        assert count(conn.cursor(), "select count(*) from app_user") == len(ROLES)
        conn.commit()
        with rolled_back(conn) as cur:
            row = cur.execute("select current_setting('app.role', true), current_setting('app.user_id', true)")
            assert row.fetchone() in {("", ""), (None, None)}
            for table in TABLES:
                assert count(cur, f"select count(*) from {table}") == 0, table


# --- login before identity is known ------------------------------------------------------------------------


def test_login_lookup_bypasses_rls_only_through_the_function(db: Db) -> None:
    with psycopg.connect(db.app_dsn) as conn, rolled_back(conn) as cur:
        assert count(cur, "select count(*) from app_user") == 0
        found = cur.execute("select id, role, active from auth_user_for_login(%s)", ("manager@example.test",))
        assert found.fetchall() == [(USER_IDS["manager"], "manager", True)]
        cased = cur.execute("select id from auth_user_for_login(%s)", ("Manager@Example.TEST",))
        assert cased.fetchall() == [(USER_IDS["manager"],)]  # email is citext
        assert cur.execute("select * from auth_user_for_login('nobody@example.test')").fetchall() == []


# ON DELETE RESTRICT reports 23503 foreign_key_violation up to PostgreSQL 17 and 23001 restrict_violation from 18.
RESTRICTED = (psycopg.errors.ForeignKeyViolation, psycopg.errors.RestrictViolation)


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_item_with_history_cannot_be_deleted(app: psycopg.Connection, role: str) -> None:
    with request_as(app, str(USER_IDS[role]), role) as cur, pytest.raises(RESTRICTED):
        cur.execute("delete from item where id = %s", (ITEM_ID,))
