"""Migration 0011 in SQL, as the schema owner: waste rows and their reasons, item.storage_zone, the
cold-chain trigger (which rows it refuses, which it lets through), and create_count_as storing a
breakdown while a nine-argument call written for 0009 still works."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

from tests.pg import Db

ITEM = uuid.UUID("00000000-0000-4000-8000-0000000000d1")  # storage_zone freezer
ANYWHERE = uuid.UUID("00000000-0000-4000-8000-0000000000d2")  # storage_zone null
FREEZER = uuid.UUID("00000000-0000-4000-8000-0000000000e1")
COOLER = uuid.UUID("00000000-0000-4000-8000-0000000000e2")
USER = uuid.UUID("00000000-0000-4000-8000-0000000000f1")
INSERT = "insert into movement (item_id, location_id, type, qty, reason) values (%s, %s, %s, %s, %s)"


def seed(owner: psycopg.Connection) -> None:
    owner.execute(
        "insert into location (id, code, name, temp_zone) values (%s, 'FRZ', 'Freezer', 'freezer'),"
        " (%s, 'COOL-1', 'Cooler', 'cooler')",
        (FREEZER, COOLER),
    )
    owner.execute(
        "insert into item (id, item_number, name, unit, storage_zone) values"
        " (%s, 'PEAS', 'Frozen peas', 'kg', 'freezer'), (%s, 'SALT', 'Salt', 'kg', null)",
        (ITEM, ANYWHERE),
    )
    owner.execute(
        "insert into app_user (id, email, display_name, role, password_hash)"
        " values (%s, 'c@example.test', 'C', 'counter', 'x')",
        (USER,),
    )


@contextmanager
def rolled_back(owner_dsn: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(owner_dsn) as conn:
        try:
            yield conn
        finally:
            conn.rollback()


@pytest.mark.parametrize(
    ("kind", "qty", "reason"),
    [
        ("waste", 1, "spoiled"),  # waste is stored negated
        ("waste", -1, None),  # waste needs a reason
        ("waste", -1, "stolen"),  # one of the six
        ("use", -1, "spoiled"),  # only waste has one
        ("receive", 1, "other"),
    ],
)
def test_waste_rows_and_reasons_are_checked(
    db: Db, owner: psycopg.Connection, kind: str, qty: int, reason: str | None
) -> None:
    with pytest.raises(psycopg.errors.CheckViolation):
        owner.execute(INSERT, (ANYWHERE, COOLER, kind, qty, reason))


@pytest.mark.parametrize("reason", ["spoiled", "expired", "damaged", "overproduction", "returned", "other"])
def test_every_reason_makes_a_waste_row_that_lowers_stock(db: Db, owner: psycopg.Connection, reason: str) -> None:
    with rolled_back(owner.info.dsn) as conn:
        conn.execute(INSERT, (ANYWHERE, COOLER, "waste", -2, reason))
        row = conn.execute("select on_hand::text from stock_level where item_id = %s", (ANYWHERE,)).fetchone()
        assert row == ("-2.000",)


def test_storage_zone_is_a_temp_zone(db: Db, owner: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.CheckViolation):
        owner.execute("update item set storage_zone = 'fridge' where id = %s", (ITEM,))


@pytest.mark.parametrize(
    ("kind", "qty", "location", "refused"),
    [
        ("receive", 1, COOLER, True),
        ("transfer", 1, COOLER, True),  # the incoming row of a transfer
        ("transfer", -1, COOLER, False),  # the outgoing one: stock leaves the wrong zone, fine
        ("use", -1, COOLER, False),
        ("adjust", 1, COOLER, False),
        ("waste", -1, COOLER, False),
        ("receive", 1, FREEZER, False),
    ],
)
def test_the_cold_chain_trigger(
    db: Db, owner: psycopg.Connection, kind: str, qty: int, location: uuid.UUID, refused: bool
) -> None:
    reason = "spoiled" if kind == "waste" else None
    with rolled_back(owner.info.dsn) as conn:
        if refused:
            with pytest.raises(psycopg.errors.CheckViolation) as error:
                conn.execute(INSERT, (ITEM, location, kind, qty, reason))
            assert error.value.diag.constraint_name == "movement_cold_chain"
            assert error.value.diag.message_primary == "Frozen peas is kept in the freezer; COOL-1 is a cooler location"
        else:
            conn.execute(INSERT, (ITEM, location, kind, qty, reason))


def test_one_bad_row_refuses_the_whole_statement(db: Db, owner: psycopg.Connection) -> None:
    with rolled_back(owner.info.dsn) as conn:
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute(
                "insert into movement (item_id, location_id, type, qty)"
                " values (%s, %s, 'receive', 1), (%s, %s, 'receive', 1)",
                (ANYWHERE, COOLER, ITEM, COOLER),
            )
        conn.rollback()
        assert conn.execute("select count(*) from movement").fetchone() == (0,)


def test_items_without_a_zone_go_anywhere(db: Db, owner: psycopg.Connection) -> None:
    with rolled_back(owner.info.dsn) as conn:
        for location in (FREEZER, COOLER):
            conn.execute(INSERT, (ANYWHERE, location, "receive", 1, None))


def test_create_count_as_stores_a_breakdown_and_takes_the_old_call(db: Db, owner: psycopg.Connection) -> None:
    call = (
        "select qty_on_hand::text, breakdown, refused from create_count_as(%s, 'counter', %s, %s, 3, null,"
        " %s::jsonb, '10.0.0.1', 'ua'"
    )
    with rolled_back(owner.info.dsn) as conn:
        old = conn.execute(call + ")", (str(USER), ANYWHERE, COOLER, "{}")).fetchone()
        assert old == ("3.000", None, None)
        parts = '[{"pack_id": null, "qty": "3", "pack_qty": "1"}]'
        new = conn.execute(call + ", %s::jsonb)", (str(USER), ANYWHERE, COOLER, "{}", parts)).fetchone()
        assert new == ("3.000", [{"pack_id": None, "qty": "3", "pack_qty": "1"}], None)
