"""GET /v1/reports/usage (CONTRACT §15) against a plain-Python model of the ledger rule (CONTRACT §5,
sql/schema/0006): random counts (backdated ones and equal timestamps included), movements of every
type, transfers, and period bounds falling on events; plus the rule's edges spelled out, parameters
and roles."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from tests.conftest import Person

BASE = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
ITEMS = ("FLOUR", "MILK")
LOCATIONS = ("DRY", "COOL")
COSTS = {"FLOUR": Decimal("1.2500"), "MILK": None}


@dataclass(frozen=True)
class Count:
    id: uuid.UUID
    item: str
    location: str
    minute: int
    qty: Decimal


@dataclass(frozen=True)
class Move:
    item: str
    location: str
    type: str
    minute: int
    qty: Decimal  # signed, as stored


def at(minute: int) -> datetime:
    return BASE + timedelta(minutes=minute)


def on_hand(counts: list[Count], moves: list[Move], item: str, location: str, minute: int) -> Decimal:
    """The §5 rule as of a time: the last count at or before it (ties: greater id), plus later movements
    up to it; a movement at exactly the count's time is before the count."""
    here = [c for c in counts if (c.item, c.location) == (item, location) and c.minute <= minute]
    last = max(here, key=lambda c: (c.minute, c.id), default=None)
    start = last.minute if last else None
    moved = sum(
        (
            m.qty
            for m in moves
            if (m.item, m.location) == (item, location) and m.minute <= minute and (start is None or m.minute > start)
        ),
        Decimal(0),
    )
    return (last.qty if last else Decimal(0)) + moved


def model(counts: list[Count], moves: list[Move], since: int, until: int) -> dict[str, dict[str, Any]]:
    rows = {}
    for item in ITEMS:
        opening = sum((on_hand(counts, moves, item, loc, since) for loc in LOCATIONS), Decimal(0))
        closing = sum((on_hand(counts, moves, item, loc, until) for loc in LOCATIONS), Decimal(0))
        period = [m for m in moves if m.item == item and since < m.minute <= until]

        def total(kind: str, sign: int, period: list[Move] = period) -> Decimal:
            return sum((sign * m.qty for m in period if m.type == kind), Decimal(0))

        if opening == 0 and closing == 0 and not period:
            continue
        received = total("receive", 1)
        consumption = opening + received - closing
        cost = COSTS[item]
        rows[item] = {
            "opening": opening,
            "received": received,
            "used": total("use", -1),
            "wasted": total("waste", -1),
            "adjusted": total("adjust", 1),
            "closing": closing,
            "consumption": consumption,
            "consumption_value": None if cost is None else consumption * cost,
        }
    return rows


def load(owner: psycopg.Connection, kitchen: dict[str, str], counts: list[Count], moves: list[Move]) -> None:
    """Replace the ledger with these rows (as the owner: times in the past, set explicitly)."""
    owner.execute("delete from movement")
    owner.execute("delete from inventory_count")
    owner.execute("delete from stock_level")
    for c in counts:
        owner.execute(
            "insert into inventory_count (id, item_id, location_id, qty_on_hand, counted_at)"
            " values (%s, %s, %s, %s, %s)",
            (c.id, kitchen[c.item], kitchen[c.location], c.qty, at(c.minute)),
        )
    for m in moves:
        owner.execute(
            "insert into movement (item_id, location_id, type, qty, reason, created_at)"
            " values (%s, %s, %s, %s, %s, %s)",
            (
                kitchen[m.item],
                kitchen[m.location],
                m.type,
                m.qty,
                "spoiled" if m.type == "waste" else None,
                at(m.minute),
            ),
        )


def report(client: TestClient, person: Person, since: int, until: int | None) -> Any:
    params = {"since": at(since).isoformat()} | ({"until": at(until).isoformat()} if until is not None else {})
    r = client.get("/v1/reports/usage", params=params, headers=person.headers)
    assert r.status_code == 200, r.text
    return r.json()


def check(client: TestClient, person: Person, counts: list[Count], moves: list[Move], since: int, until: int) -> None:
    got = report(client, person, since, until)
    expected = model(counts, moves, since, until)
    assert [row["item_number"] for row in got["data"]] == sorted(expected)
    for row in got["data"]:
        want = expected[row["item_number"]]
        for field, value in want.items():
            if value is None:
                assert row[field] is None, field
            else:
                assert Decimal(row[field]) == value, (row["item_number"], field, row[field], value)
    costed = [w for w in expected.values() if w["consumption_value"] is not None]
    assert Decimal(got["totals"]["consumption_value"]) == sum((w["consumption_value"] for w in costed), Decimal(0))
    received = sum((w["received"] * COSTS[i] for i, w in expected.items() if COSTS[i] is not None), Decimal(0))
    assert Decimal(got["totals"]["received_value"]) == received
    assert got["totals"]["uncosted_items"] == sum(1 for i in expected if COSTS[i] is None)


@pytest.fixture
def costed(owner: psycopg.Connection, kitchen: dict[str, str]) -> dict[str, str]:
    owner.execute("update item set unit_cost = null where id = %s", (kitchen["MILK"],))
    return kitchen


# --- the property ---

minutes = st.integers(min_value=0, max_value=12)
quantities = st.decimals(min_value=0, max_value=50, places=3, allow_nan=False, allow_infinity=False)
positive = st.decimals(min_value=Decimal("0.001"), max_value=20, places=3, allow_nan=False, allow_infinity=False)
items, locations = st.sampled_from(ITEMS), st.sampled_from(LOCATIONS)
counts_st = st.lists(st.builds(Count, st.uuids(version=4), items, locations, minutes, quantities), max_size=6)
signed_moves = st.one_of(
    st.builds(Move, items, locations, st.just("receive"), minutes, positive),
    st.builds(Move, items, locations, st.just("use"), minutes, positive.map(lambda q: -q)),
    st.builds(Move, items, locations, st.just("waste"), minutes, positive.map(lambda q: -q)),
    st.builds(Move, items, locations, st.just("adjust"), minutes, st.one_of(positive, positive.map(lambda q: -q))),
)
transfers = st.builds(
    lambda item, forward, minute, qty: [
        Move(item, LOCATIONS[0 if forward else 1], "transfer", minute, -qty),
        Move(item, LOCATIONS[1 if forward else 0], "transfer", minute, qty),
    ],
    items,
    st.booleans(),
    minutes,
    positive,
)
moves_st = st.lists(st.one_of(signed_moves.map(lambda m: [m]), transfers), max_size=8).map(
    lambda groups: [m for group in groups for m in group]
)
periods = st.tuples(minutes, minutes).filter(lambda p: p[0] < p[1])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(counts=counts_st, moves=moves_st, bounds=periods)
def test_usage_matches_the_ledger_model(
    client: TestClient,
    people: dict[str, Person],
    costed: dict[str, str],
    owner: psycopg.Connection,
    counts: list[Count],
    moves: list[Move],
    bounds: tuple[int, int],
) -> None:
    load(owner, costed, counts, moves)
    check(client, people["manager"], counts, moves, *bounds)


# --- the rule's edges, spelled out ---


def test_a_movement_at_a_counts_time_is_before_the_count(
    client: TestClient, people: dict[str, Person], costed: dict[str, str], owner: psycopg.Connection
) -> None:
    first, second = sorted([uuid.uuid4(), uuid.uuid4()])
    counts = [Count(first, "FLOUR", "DRY", 2, Decimal(10)), Count(second, "FLOUR", "DRY", 2, Decimal(7))]
    moves = [Move("FLOUR", "DRY", "receive", 2, Decimal(5)), Move("FLOUR", "DRY", "use", 4, Decimal(-1))]
    load(owner, costed, counts, moves)
    row = report(client, people["manager"], 2, 4)["data"][0]
    # as of minute 2: the greater id's count (7) stands; the receipt at minute 2 is inside it
    assert (row["opening"], row["closing"], row["used"], row["consumption"]) == ("7.000", "6.000", "1.000", "1.000")
    assert row["consumption_value"] == "1.2500000"
    check(client, people["manager"], counts, moves, 1, 3)


def test_a_backdated_count_rewrites_history_but_not_the_present(
    client: TestClient, people: dict[str, Person], costed: dict[str, str], owner: psycopg.Connection
) -> None:
    counts = [Count(uuid.uuid4(), "MILK", "COOL", 8, Decimal(3)), Count(uuid.uuid4(), "MILK", "COOL", 1, Decimal(20))]
    moves = [Move("MILK", "COOL", "receive", 0, Decimal(4)), Move("MILK", "COOL", "waste", 5, Decimal("-2.5"))]
    load(owner, costed, counts, moves)
    row = report(client, people["manager"], 3, 10)["data"][0]
    assert (row["opening"], row["wasted"], row["closing"], row["consumption"]) == ("20.000", "2.500", "3.000", "17.000")
    assert row["consumption_value"] is None and row["unit_cost"] is None
    check(client, people["manager"], counts, moves, 0, 12)


def test_items_without_stock_or_movement_are_left_out(
    client: TestClient, people: dict[str, Person], costed: dict[str, str], owner: psycopg.Connection
) -> None:
    load(owner, costed, [Count(uuid.uuid4(), "FLOUR", "DRY", 1, Decimal(0))], [])
    assert report(client, people["manager"], 0, 5) == {
        "data": [],
        "totals": {"consumption_value": "0.0000000", "received_value": "0.0000000", "uncosted_items": 0},
    }


def test_until_defaults_to_now(client: TestClient, people: dict[str, Person], kitchen: dict[str, str]) -> None:
    client.post(
        "/v1/counts",
        json={"item_id": kitchen["FLOUR"], "location_id": kitchen["DRY"], "qty_on_hand": "4"},
        headers=people["counter"].headers,
    )
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    r = client.get("/v1/reports/usage", params={"since": since}, headers=people["admin"].headers)
    row = r.json()["data"][0]
    assert (row["item_number"], row["opening"], row["closing"], row["consumption"]) == (
        "FLOUR",
        "0.000",
        "4.000",
        "-4.000",
    )
    assert set(row) == {
        "item_id", "item_number", "item_name", "unit", "category", "opening", "received", "used", "wasted",
        "adjusted", "closing", "consumption", "unit_cost", "consumption_value",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({}, "since"),
        ({"since": "2026-01-01"}, "since"),
        ({"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "until"),
        ({"since": "2026-01-01T00:00:00Z", "until": "2026-01-01T00:00:00+00:00"}, "until"),
        ({"since": "2026-01-01T00:00:00Z", "until": "soon"}, "until"),
    ],
)
def test_usage_refuses_bad_periods(
    client: TestClient, people: dict[str, Person], params: dict[str, str], name: str
) -> None:
    r = client.get("/v1/reports/usage", params=params, headers=people["manager"].headers)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == name


@pytest.mark.parametrize("role", ["counter", "viewer"])
def test_usage_is_for_managers(client: TestClient, people: dict[str, Person], role: str) -> None:
    r = client.get("/v1/reports/usage", params={"since": "2026-01-01T00:00:00Z"}, headers=people[role].headers)
    assert r.status_code == 403
