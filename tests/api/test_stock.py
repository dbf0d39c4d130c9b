"""GET /v1/stock over HTTP: on-hand per item and location, filters, keyset pages, roles, exact decimals.

The ledger is seeded in SQL as the schema owner (RLS does not apply to it; the stock_level triggers
still run), so these tests do not depend on the count and movement routes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from starlette.testclient import TestClient

from tests.conftest import ROLES, Person

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def seed_item(
    owner: psycopg.Connection,
    number: str,
    *,
    category: str | None = None,
    min_qty: str = "0",
    max_qty: str = "0",
    unit_cost: str | None = None,
    active: bool = True,
) -> str:
    row = owner.execute(
        "insert into item (item_number, name, unit, category, min_qty, max_qty, unit_cost, active)"
        " values (%s, %s, 'kg', %s, %s, %s, %s, %s) returning id::text",
        (
            number,
            f"Item {number}",
            category,
            Decimal(min_qty),
            Decimal(max_qty),
            unit_cost and Decimal(unit_cost),
            active,
        ),
    ).fetchone()
    assert row is not None
    return str(row[0])


def seed_location(owner: psycopg.Connection, code: str) -> str:
    row = owner.execute(
        "insert into location (code, name, temp_zone) values (%s, %s, 'cooler') returning id::text",
        (code, f"Zone {code}"),
    ).fetchone()
    assert row is not None
    return str(row[0])


def seed_count(owner: psycopg.Connection, item: str, loc: str, qty: str, at: datetime = T0) -> str:
    row = owner.execute(
        "insert into inventory_count (item_id, location_id, qty_on_hand, counted_at)"
        " values (%s, %s, %s, %s) returning id::text",
        (item, loc, Decimal(qty), at),
    ).fetchone()
    assert row is not None
    return str(row[0])


def seed_movement(owner: psycopg.Connection, item: str, loc: str, qty: str, at: datetime = T0) -> None:
    """A signed movement: receive when positive, use when negative."""
    kind = "receive" if Decimal(qty) > 0 else "use"
    owner.execute(
        "insert into movement (item_id, location_id, type, qty, created_at) values (%s, %s, %s, %s, %s)",
        (item, loc, kind, Decimal(qty), at),
    )


def audit_rows(owner: psycopg.Connection) -> int:
    row = owner.execute("select count(*) from audit_log").fetchone()
    assert row is not None
    return int(row[0])


def walk(client: TestClient, url: str, headers: dict[str, str]) -> list[list[dict[str, Any]]]:
    """Every page of a list, following next_cursor to the end."""
    pages: list[list[dict[str, Any]]] = []
    cursor: str | None = None
    while True:
        r = client.get(url + (f"&cursor={cursor}" if cursor else ""), headers=headers)
        assert r.status_code == 200, r.text
        pages.append(r.json()["data"])
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 100, "the walk does not end"


def pairs(rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(r["item_number"], r["location_code"]) for r in rows]


def test_lists_each_pair_with_its_item_location_and_last_count(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection
) -> None:
    item = seed_item(owner, "FLOUR", category="dry goods")
    seed_item(owner, "NO-HISTORY")
    cooler = seed_location(owner, "C1")
    seed_count(owner, item, cooler, "10.5")
    seed_movement(owner, item, cooler, "-0.25", T0 + timedelta(minutes=5))
    r = client.get("/v1/stock", headers=people["viewer"].headers)
    assert r.status_code == 200
    (row,) = r.json()["data"]
    updated_at = row.pop("updated_at")
    assert row == {
        "item_id": item,
        "item_number": "FLOUR",
        "item_name": "Item FLOUR",
        "unit": "kg",
        "category": "dry goods",
        "location_id": cooler,
        "location_code": "C1",
        "location_name": "Zone C1",
        "on_hand": "10.250",
        "last_count_at": row["last_count_at"],
        "last_count_qty": "10.500",
    }
    assert datetime.fromisoformat(row["last_count_at"]) == T0
    assert datetime.fromisoformat(updated_at).tzinfo is not None
    assert r.json()["next_cursor"] is None


def test_pair_with_movements_only_has_no_last_count(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection
) -> None:
    item, loc = seed_item(owner, "EGGS"), seed_location(owner, "C1")
    seed_movement(owner, item, loc, "12")
    seed_movement(owner, item, loc, "-12.001")
    (row,) = client.get("/v1/stock", headers=people["counter"].headers).json()["data"]
    assert (row["on_hand"], row["last_count_at"], row["last_count_qty"]) == ("-0.001", None, None)


@pytest.mark.parametrize("qty", ["0.001", "99999999999.999", "0.000", "12.500"])
def test_quantities_are_exact_decimal_strings(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection, qty: str
) -> None:
    item, loc = seed_item(owner, "SALT"), seed_location(owner, "D1")
    seed_count(owner, item, loc, qty)
    r = client.get("/v1/stock", headers=people["viewer"].headers)
    assert f'"on_hand":"{qty}"' in r.text and f'"last_count_qty":"{qty}"' in r.text


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_stock(client: TestClient, people: dict[str, Person], role: str) -> None:
    assert client.get("/v1/stock", headers=people[role].headers).status_code == 200


def test_stock_needs_a_token(client: TestClient) -> None:
    assert client.get("/v1/stock").status_code == 401


def test_reading_stock_writes_no_audit_row(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection
) -> None:
    before = audit_rows(owner)
    assert client.get("/v1/stock?below_min=true", headers=people["admin"].headers).status_code == 200
    assert audit_rows(owner) == before


@pytest.fixture
def kitchen(owner: psycopg.Connection) -> dict[str, str]:
    """Three items in two categories over two locations; totals: BEANS 3 (min 5), MILK 9 (min 8), RICE 1 (min 0)."""
    ids = {
        "BEANS": seed_item(owner, "BEANS", category="dry", min_qty="5"),
        "MILK": seed_item(owner, "MILK", category="dairy", min_qty="8"),
        "RICE": seed_item(owner, "RICE", category="dry"),
        "DRY": seed_location(owner, "DRY"),
        "WALKIN": seed_location(owner, "WALKIN"),
    }
    seed_count(owner, ids["BEANS"], ids["DRY"], "1")
    seed_movement(owner, ids["BEANS"], ids["WALKIN"], "2")
    seed_count(owner, ids["MILK"], ids["WALKIN"], "6")
    seed_movement(owner, ids["MILK"], ids["DRY"], "3")
    seed_movement(owner, ids["RICE"], ids["DRY"], "1")
    return ids


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", [("BEANS", "DRY"), ("BEANS", "WALKIN"), ("MILK", "DRY"), ("MILK", "WALKIN"), ("RICE", "DRY")]),
        ("location_id={DRY}", [("BEANS", "DRY"), ("MILK", "DRY"), ("RICE", "DRY")]),
        ("item_id={MILK}", [("MILK", "DRY"), ("MILK", "WALKIN")]),
        ("category=dry", [("BEANS", "DRY"), ("BEANS", "WALKIN"), ("RICE", "DRY")]),
        ("category=frozen", []),
        ("below_min=true", [("BEANS", "DRY"), ("BEANS", "WALKIN")]),  # a total, not one location's stock
        ("below_min=false", [("MILK", "DRY"), ("MILK", "WALKIN"), ("RICE", "DRY")]),
        ("below_min=false&location_id={WALKIN}", [("MILK", "WALKIN")]),
        ("category=dry&location_id={WALKIN}", [("BEANS", "WALKIN")]),
    ],
)
def test_filters(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], query: str, expected: list[Any]
) -> None:
    r = client.get("/v1/stock?" + query.format(**kitchen), headers=people["viewer"].headers)
    assert r.status_code == 200, r.text
    assert pairs(r.json()["data"]) == expected


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("location_id=dry", "location_id"),
        ("item_id=123", "item_id"),
        ("below_min=yes", "below_min"),
        ("below_min=", "below_min"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=WzEsMl0", "cursor"),  # [1,2]: the right size, but not a position this API wrote
    ],
)
def test_bad_parameter_is_422_naming_it(client: TestClient, people: dict[str, Person], query: str, param: str) -> None:
    r = client.get(f"/v1/stock?{query}", headers=people["viewer"].headers)
    assert r.status_code == 422
    assert r.json()["errors"][0]["path"] == param


@pytest.fixture
def grid(owner: psycopg.Connection) -> list[tuple[str, str]]:
    """5 items by 3 locations, every pair stocked; the rows in the order the API promises."""
    locations = {code: seed_location(owner, code) for code in ("B", "A", "C")}
    for number in ("I-3", "I-1", "I-5", "I-2", "I-4"):
        item = seed_item(owner, number, category="odd" if number in ("I-1", "I-3", "I-5") else "even")
        for loc in locations.values():
            seed_movement(owner, item, loc, "1")
    return [(f"I-{n}", code) for n in range(1, 6) for code in ("A", "B", "C")]


@pytest.mark.parametrize("limit", [1, 4, 5, 15, 200])
def test_pages_walk_every_row_once_in_order(
    client: TestClient, people: dict[str, Person], grid: list[tuple[str, str]], limit: int
) -> None:
    pages = walk(client, f"/v1/stock?limit={limit}", people["viewer"].headers)
    assert [pair for page in pages for pair in pairs(page)] == grid
    assert [len(page) for page in pages[:-1]] == [limit] * (len(pages) - 1)
    assert 0 < len(pages[-1]) <= limit


def test_default_page_is_50(client: TestClient, people: dict[str, Person], owner: psycopg.Connection) -> None:
    loc = seed_location(owner, "L")
    for n in range(51):
        seed_movement(owner, seed_item(owner, f"N-{n:02d}"), loc, "1")
    r = client.get("/v1/stock", headers=people["viewer"].headers).json()
    assert len(r["data"]) == 50 and r["next_cursor"] is not None


def test_filtered_pages_keep_the_filter(
    client: TestClient, people: dict[str, Person], grid: list[tuple[str, str]]
) -> None:
    pages = walk(client, "/v1/stock?limit=2&category=odd", people["viewer"].headers)
    assert [pair for page in pages for pair in pairs(page)] == [p for p in grid if p[0] in ("I-1", "I-3", "I-5")]


def test_walk_under_concurrent_inserts_neither_repeats_nor_skips(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection, grid: list[tuple[str, str]]
) -> None:
    headers = people["viewer"].headers
    first = client.get("/v1/stock?limit=4", headers=headers).json()
    seen = pairs(first["data"])
    # While the client reads: a new pair before its position (not in this walk) and one after it.
    loc_z = seed_location(owner, "Z")
    seed_movement(owner, seed_item(owner, "I-0"), loc_z, "1")
    items = dict(owner.execute("select item_number, id::text from item").fetchall())
    seed_movement(owner, items["I-4"], loc_z, "1")
    cursor = first["next_cursor"]
    while cursor:
        page = client.get(f"/v1/stock?limit=4&cursor={cursor}", headers=headers).json()
        seen += pairs(page["data"])
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen))
    assert seen == [*grid[:12], ("I-4", "Z"), *grid[12:]]
