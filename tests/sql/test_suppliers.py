"""Suppliers in SQL (0013_suppliers.sql): the price history the database keeps, and the rules the
constraints hold whoever writes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from tests.pg import Db

MANAGER = uuid.UUID("00000000-0000-4000-8000-000000000002")
ITEM = uuid.UUID("00000000-0000-4000-8000-0000000000b1")
OTHER_ITEM = uuid.UUID("00000000-0000-4000-8000-0000000000b2")
PACK = uuid.UUID("00000000-0000-4000-8000-0000000000e1")
SUPPLIERS = [uuid.UUID(f"00000000-0000-4000-8000-0000000000d{n}") for n in (1, 2)]


def seed(owner: psycopg.Connection) -> None:
    owner.execute(
        "insert into app_user (id, email, display_name, role, password_hash)"
        " values (%s, 'manager@example.test', 'Manager', 'manager', 'x')",
        (MANAGER,),
    )
    owner.execute(
        "insert into item (id, item_number, name, unit) values (%s, 'FLOUR', 'Flour', 'kg'), (%s, 'MILK', 'Milk', 'l')",
        (ITEM, OTHER_ITEM),
    )
    owner.execute("insert into item_pack (id, item_id, name, qty) values (%s, %s, 'sack', 25)", (PACK, ITEM))
    for n, supplier in enumerate(SUPPLIERS):
        owner.execute("insert into supplier (id, name) values (%s, %s)", (supplier, f"Supplier {n}"))
    owner.execute("insert into supplier_item (supplier_id, item_id, price) values (%s, %s, 1)", (SUPPLIERS[1], ITEM))


@pytest.fixture
def manager(db: Db) -> Iterator[psycopg.Cursor[Any]]:
    """A manager's request transaction on the app role, rolled back afterwards."""
    with psycopg.connect(db.app_dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "select set_config('app.user_id', %s, true), set_config('app.role', 'manager', true)", (str(MANAGER),)
        )
        yield cur
        conn.rollback()


def history(cur: psycopg.Cursor[Any], supplier_item: Any) -> list[tuple[Any, ...]]:
    rows = cur.execute(
        "select price::text, changed_by from supplier_item_price where supplier_item_id = %s order by id",
        (supplier_item,),
    )
    return rows.fetchall()


def new_supplier_item(cur: psycopg.Cursor[Any], price: str = "4.5", **columns: Any) -> Any:
    values = {"supplier_id": SUPPLIERS[0], "item_id": ITEM, "pack_id": PACK, "price": price} | columns
    names = ", ".join(values)
    row = cur.execute(
        f"insert into supplier_item ({names}) values ({', '.join(['%s'] * len(values))}) returning id",
        tuple(values.values()),
    ).fetchone()
    assert row is not None
    return row[0]


def test_every_price_is_kept_by_the_trigger_with_who_set_it(manager: psycopg.Cursor[Any]) -> None:
    si = new_supplier_item(manager)
    assert history(manager, si) == [("4.5000", MANAGER)]
    manager.execute("update supplier_item set price = 4.75 where id = %s", (si,))
    manager.execute("update supplier_item set price = 4.75, sku = 'F-25' where id = %s", (si,))  # same price
    manager.execute("update supplier_item set preferred = true where id = %s", (si,))
    assert history(manager, si) == [("4.5000", MANAGER), ("4.7500", MANAGER)]


def test_the_app_role_cannot_write_the_history_itself(manager: psycopg.Cursor[Any]) -> None:
    si = new_supplier_item(manager)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        manager.execute("insert into supplier_item_price (supplier_item_id, price) values (%s, 0)", (si,))


@pytest.mark.parametrize("statement", ["update supplier_item_price set price = 0", "delete from supplier_item_price"])
def test_history_is_append_only_even_for_the_owner(owner: psycopg.Connection, statement: str) -> None:
    with owner.transaction(force_rollback=True):
        owner.execute(
            "insert into supplier_item (supplier_id, item_id, price) values (%s, %s, 1)", (SUPPLIERS[1], OTHER_ITEM)
        )
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            owner.execute(statement)


def test_the_owners_price_changes_are_kept_too(owner: psycopg.Connection) -> None:
    with owner.transaction(force_rollback=True):
        row = owner.execute(
            "insert into supplier_item (supplier_id, item_id, price) values (%s, %s, 1) returning id",
            (SUPPLIERS[1], OTHER_ITEM),
        ).fetchone()
        assert row is not None
        owner.execute("update supplier_item set price = 2 where id = %s", (row[0],))
        assert history(owner.cursor(), row[0]) == [("1.0000", None), ("2.0000", None)]


def test_one_preferred_active_supplier_item_per_item(manager: psycopg.Cursor[Any]) -> None:
    new_supplier_item(manager, preferred=True)
    with pytest.raises(psycopg.errors.UniqueViolation):
        new_supplier_item(manager, supplier_id=SUPPLIERS[1], preferred=True)


def test_an_inactive_supplier_item_is_never_preferred(manager: psycopg.Cursor[Any]) -> None:
    with pytest.raises(psycopg.errors.CheckViolation):
        new_supplier_item(manager, preferred=True, active=False)


def test_supplier_item_and_no_pack_is_unique_too(manager: psycopg.Cursor[Any]) -> None:
    new_supplier_item(manager, pack_id=None)
    new_supplier_item(manager, pack_id=PACK)
    with pytest.raises(psycopg.errors.UniqueViolation):
        new_supplier_item(manager, pack_id=None)


def test_a_pack_of_another_item_is_refused(manager: psycopg.Cursor[Any]) -> None:
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        new_supplier_item(manager, item_id=OTHER_ITEM, pack_id=PACK)


def test_supplier_names_are_unique_case_insensitively(manager: psycopg.Cursor[Any]) -> None:
    with pytest.raises(psycopg.errors.UniqueViolation):
        manager.execute("insert into supplier (name) values ('SUPPLIER 0')")


@pytest.mark.parametrize(("role", "seen"), [("admin", 1), ("manager", 1), ("counter", 0), ("viewer", 0)])
def test_only_admins_and_managers_see_suppliers_and_prices(db: Db, role: str, seen: int) -> None:
    with psycopg.connect(db.app_dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "select set_config('app.user_id', %s, true), set_config('app.role', %s, true)", (str(MANAGER), role)
        )
        for table in ("supplier_item", "supplier_item_price"):
            assert cur.execute(f"select count(*) from {table}").fetchone() == (seen,), table
        assert cur.execute("select count(*) from supplier").fetchone() == (2 * seen,)
