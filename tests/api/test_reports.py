"""/v1/reports over HTTP: low stock, valuation and variance, their roles, and exact decimals."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, localcontext
from typing import Any

import psycopg
import pytest
from starlette.testclient import TestClient

from tests.api.test_stock import T0, audit_rows, seed_count, seed_item, seed_location, seed_movement, walk
from tests.conftest import Person

REPORTS = ("/v1/reports/low-stock", "/v1/reports/valuation", "/v1/reports/variance?since=2025-01-01T00:00:00Z")
ALLOWED = {
    "/v1/reports/low-stock": {"admin", "manager", "viewer"},
    "/v1/reports/valuation": {"admin", "manager"},
    "/v1/reports/variance?since=2025-01-01T00:00:00Z": {"admin", "manager"},
}


@pytest.mark.parametrize("role", ["admin", "manager", "counter", "viewer"])
@pytest.mark.parametrize("url", REPORTS)
def test_roles(client: TestClient, people: dict[str, Person], url: str, role: str) -> None:
    status = client.get(url, headers=people[role].headers).status_code
    assert status == (200 if role in ALLOWED[url] else 403)


@pytest.mark.parametrize("url", REPORTS)
def test_reports_need_a_token_and_write_no_audit_row(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection, url: str
) -> None:
    assert client.get(url).status_code == 401
    before = audit_rows(owner)
    assert client.get(url, headers=people["admin"].headers).status_code == 200
    assert audit_rows(owner) == before


# --- low stock ---------------------------------------------------------------------------------------------


@pytest.fixture
def pantry(owner: psycopg.Connection) -> dict[str, str]:
    dry, cold = seed_location(owner, "DRY"), seed_location(owner, "COLD")
    ids = {
        "A-SPLIT": seed_item(owner, "A-SPLIT", min_qty="10", max_qty="30"),  # 4 + 3 over two locations
        "B-NONE": seed_item(owner, "B-NONE", min_qty="5", max_qty="8"),  # no stock rows at all
        "C-ENOUGH": seed_item(owner, "C-ENOUGH", min_qty="5", max_qty="8"),
        "D-INACTIVE": seed_item(owner, "D-INACTIVE", min_qty="5", max_qty="8", active=False),
        "E-OVER-MAX": seed_item(owner, "E-OVER-MAX", min_qty="10", max_qty="5"),  # reorder would be negative
        "F-EXACT": seed_item(owner, "F-EXACT", min_qty="2.5"),  # on-hand == min: not below
        "G-NEGATIVE": seed_item(owner, "G-NEGATIVE", max_qty="1.5"),  # min 0, on-hand below 0
    }
    seed_count(owner, ids["A-SPLIT"], dry, "4")
    seed_movement(owner, ids["A-SPLIT"], cold, "3")
    seed_count(owner, ids["C-ENOUGH"], dry, "6")
    seed_movement(owner, ids["E-OVER-MAX"], dry, "8")
    seed_count(owner, ids["F-EXACT"], cold, "2.5")
    seed_movement(owner, ids["G-NEGATIVE"], dry, "-0.001")
    return ids


def test_low_stock_lists_active_items_below_min_with_reorder_qty(
    client: TestClient, people: dict[str, Person], pantry: dict[str, str]
) -> None:
    r = client.get("/v1/reports/low-stock", headers=people["viewer"].headers)
    assert r.status_code == 200
    rows = r.json()["data"]
    got = [(x["item_number"], x["on_hand"], x["min_qty"], x["max_qty"], x["reorder_qty"]) for x in rows]
    assert got == [
        ("A-SPLIT", "7.000", "10.000", "30.000", "23.000"),
        ("B-NONE", "0.000", "5.000", "8.000", "8.000"),
        ("E-OVER-MAX", "8.000", "10.000", "5.000", "0.000"),
        ("G-NEGATIVE", "-0.001", "0.000", "1.500", "1.501"),
    ]
    assert rows[0]["item_id"] == pantry["A-SPLIT"] and rows[0]["unit"] == "kg"


def test_low_stock_pages(client: TestClient, people: dict[str, Person], pantry: dict[str, str]) -> None:
    pages = walk(client, "/v1/reports/low-stock?limit=1", people["manager"].headers)
    assert [[x["item_number"] for x in page] for page in pages] == [
        ["A-SPLIT"],
        ["B-NONE"],
        ["E-OVER-MAX"],
        ["G-NEGATIVE"],
    ]


# --- valuation ---------------------------------------------------------------------------------------------


def exact(*terms: tuple[str, str]) -> str:
    """The sum of qty * cost in exact decimal arithmetic, as PostgreSQL prints it (scale 7)."""
    with localcontext() as ctx:
        ctx.prec = 60
        return str(sum((Decimal(q) * Decimal(c) for q, c in terms), Decimal("0.0000000")))


@pytest.fixture
def stocked(owner: psycopg.Connection) -> dict[str, str]:
    dry, cold = seed_location(owner, "DRY"), seed_location(owner, "COLD")
    ids = {
        "DRY": dry,
        "COLD": cold,
        "TINY": seed_item(owner, "TINY", category="spice", unit_cost="0.0001"),
        "HUGE": seed_item(owner, "HUGE", category="spice", unit_cost="9999999999.9999"),
        "MILK": seed_item(owner, "MILK", category="dairy", unit_cost="1.2345"),
        "FREE": seed_item(owner, "FREE", category="dairy"),  # no unit_cost: valued at 0 and reported
        "MISC": seed_item(owner, "MISC", unit_cost="3"),  # no category
    }
    seed_count(owner, ids["TINY"], dry, "0.001")
    seed_count(owner, ids["HUGE"], dry, "99999999999.999")
    seed_count(owner, ids["MILK"], cold, "10")
    seed_movement(owner, ids["MILK"], dry, "2.5", T0 + timedelta(hours=1))
    seed_count(owner, ids["FREE"], cold, "7")
    seed_movement(owner, ids["MISC"], dry, "-1")
    return ids


def test_valuation_by_category_is_exact(client: TestClient, people: dict[str, Person], stocked: dict[str, str]) -> None:
    r = client.get("/v1/reports/valuation", headers=people["manager"].headers)
    assert r.status_code == 200
    body = r.json()
    spice = exact(("0.001", "0.0001"), ("99999999999.999", "9999999999.9999"))
    dairy = exact(("10", "1.2345"), ("2.5", "1.2345"))
    misc = exact(("-1", "3"))
    assert body["groups"] == [
        {"category": "dairy", "value": dairy, "items": 2, "uncosted_items": 1},
        {"category": "spice", "value": spice, "items": 2, "uncosted_items": 0},
        {"category": None, "value": misc, "items": 1, "uncosted_items": 0},
    ]
    assert spice == "999999999999980000000.0000002"  # (1e11 - 1e-3)(1e10 - 1e-4) + 1e-7
    total = exact(("0.001", "0.0001"), ("99999999999.999", "9999999999.9999"), ("12.5", "1.2345"), ("-1", "3"))
    assert (body["group_by"], body["total_value"], body["items"], body["uncosted_items"]) == ("category", total, 5, 1)


def test_valuation_by_location(client: TestClient, people: dict[str, Person], stocked: dict[str, str]) -> None:
    r = client.get("/v1/reports/valuation?group_by=location", headers=people["admin"].headers)
    assert r.status_code == 200
    body = r.json()
    cold = exact(("10", "1.2345"))
    dry = exact(("0.001", "0.0001"), ("99999999999.999", "9999999999.9999"), ("2.5", "1.2345"), ("-1", "3"))
    assert body["groups"] == [
        {
            "location_id": stocked["COLD"],
            "location_code": "COLD",
            "location_name": "Zone COLD",
            "value": cold,
            "items": 2,
            "uncosted_items": 1,
        },
        {
            "location_id": stocked["DRY"],
            "location_code": "DRY",
            "location_name": "Zone DRY",
            "value": dry,
            "items": 4,
            "uncosted_items": 0,
        },
    ]
    assert body["group_by"] == "location"
    assert Decimal(body["total_value"]) == Decimal(cold) + Decimal(dry)


def test_smallest_value_is_not_in_e_notation(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection
) -> None:
    item, loc = seed_item(owner, "TINY", category="spice", unit_cost="0.0001"), seed_location(owner, "D")
    seed_count(owner, item, loc, "0.001")
    body = client.get("/v1/reports/valuation", headers=people["admin"].headers).json()
    assert body["total_value"] == body["groups"][0]["value"] == "0.0000001"


def test_valuation_of_an_empty_kitchen(client: TestClient, people: dict[str, Person]) -> None:
    body = client.get("/v1/reports/valuation?group_by=location", headers=people["admin"].headers).json()
    assert body == {"total_value": "0", "items": 0, "uncosted_items": 0, "group_by": "location", "groups": []}


@pytest.mark.parametrize("group_by", ["item", "", "Category", "category,location"])
def test_unknown_grouping_is_422(client: TestClient, people: dict[str, Person], group_by: str) -> None:
    r = client.get(f"/v1/reports/valuation?group_by={group_by}", headers=people["admin"].headers)
    assert r.status_code == 422
    assert r.json()["errors"][0]["path"] == "group_by"


# --- variance ----------------------------------------------------------------------------------------------


@pytest.fixture
def counted(owner: psycopg.Connection) -> dict[str, str]:
    """FLOUR at DRY: 8 received, counted 10 at T0, +5 -3, +1 at exactly T0+3m, counted 12 at T0+3m."""
    flour = seed_item(owner, "FLOUR", unit_cost="2.5")
    dry = seed_location(owner, "DRY")
    seed_movement(owner, flour, dry, "8", T0 - timedelta(minutes=1))
    first = seed_count(owner, flour, dry, "10", T0)
    seed_movement(owner, flour, dry, "5", T0 + timedelta(minutes=1))
    seed_movement(owner, flour, dry, "-3", T0 + timedelta(minutes=2))
    seed_movement(owner, flour, dry, "1", T0 + timedelta(minutes=3))  # at the second count's time: before it
    second = seed_count(owner, flour, dry, "12", T0 + timedelta(minutes=3))
    seed_movement(owner, flour, dry, "4", T0 + timedelta(minutes=4))  # after everything: in no expectation
    return {"flour": flour, "dry": dry, "first": first, "second": second}


def variance(client: TestClient, people: dict[str, Person], query: str) -> list[dict[str, Any]]:
    r = client.get(f"/v1/reports/variance?{query}", headers=people["manager"].headers)
    assert r.status_code == 200, r.text
    data: list[dict[str, Any]] = r.json()["data"]
    return data


def test_each_count_against_the_on_hand_expected_before_it(
    client: TestClient, people: dict[str, Person], counted: dict[str, str]
) -> None:
    rows = variance(client, people, "since=2025-03-01T00:00:00Z")
    got = [(r["count_id"], r["counted_qty"], r["expected_qty"], r["variance"], r["variance_value"]) for r in rows]
    assert got == [
        (counted["first"], "10.000", "8.000", "2.000", "5.0000000"),
        (counted["second"], "12.000", "13.000", "-1.000", "-2.5000000"),
    ]
    assert rows[0]["item_id"] == counted["flour"] and rows[0]["location_id"] == counted["dry"]
    assert (rows[0]["item_number"], rows[0]["location_code"]) == ("FLOUR", "DRY")


@pytest.mark.parametrize(
    "since",
    [
        "2025-03-01T12:01:00Z",
        "2025-03-01T12:03:00%2B00:00",
        "2025-03-01T12:03:00+00:00",  # an unescaped '+' arrives as a space
        "2025-03-01T14:01:00.5+02:00",
    ],
)
def test_since_keeps_counts_at_or_after_it(
    client: TestClient, people: dict[str, Person], counted: dict[str, str], since: str
) -> None:
    assert [r["count_id"] for r in variance(client, people, f"since={since}")] == [counted["second"]]


@pytest.mark.parametrize(
    "query", ["", "since=", "since=yesterday", "since=2025-03-01T12:00:00", "since=2025-13-01T00:00:00Z"]
)
def test_since_is_required_and_rfc3339(client: TestClient, people: dict[str, Person], query: str) -> None:
    r = client.get(f"/v1/reports/variance?{query}", headers=people["admin"].headers)
    assert r.status_code == 422
    assert r.json()["errors"][0]["path"] == "since"


def test_variance_value_is_null_without_a_unit_cost(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection
) -> None:
    item, loc = seed_item(owner, "FREE"), seed_location(owner, "DRY")
    seed_count(owner, item, loc, "3")
    (row,) = variance(client, people, "since=2025-01-01T00:00:00Z")
    assert (row["expected_qty"], row["variance"], row["variance_value"]) == ("0.000", "3.000", None)


def test_counts_at_the_same_time_follow_each_other_by_id(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection
) -> None:
    item, loc = seed_item(owner, "SALT"), seed_location(owner, "DRY")
    ids = sorted([seed_count(owner, item, loc, "4"), seed_count(owner, item, loc, "6")])
    qty = dict(owner.execute("select id::text, qty_on_hand from inventory_count").fetchall())
    rows = variance(client, people, "since=2025-01-01T00:00:00Z")
    assert [r["count_id"] for r in rows] == ids
    assert rows[1]["expected_qty"] == f"{qty[ids[0]]}"


def test_variance_pages_by_time(client: TestClient, people: dict[str, Person], owner: psycopg.Connection) -> None:
    item, loc = seed_item(owner, "RICE"), seed_location(owner, "DRY")
    seeded = [
        (T0 + timedelta(minutes=n % 4), seed_count(owner, item, loc, str(n), T0 + timedelta(minutes=n % 4)))
        for n in range(9)
    ]
    pages = walk(client, "/v1/reports/variance?since=2025-01-01T00:00:00Z&limit=2", people["admin"].headers)
    assert [len(p) for p in pages] == [2, 2, 2, 2, 1]
    assert [r["count_id"] for page in pages for r in page] == [count_id for _, count_id in sorted(seeded)]


def test_bad_variance_cursor_is_422(client: TestClient, people: dict[str, Person]) -> None:
    r = client.get(
        "/v1/reports/variance?since=2025-01-01T00:00:00Z&cursor=WyJ4IiwieSJd", headers=people["admin"].headers
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["path"] == "cursor"
