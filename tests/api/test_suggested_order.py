"""Ordering to par (CONTRACT §13): the suggested order against a plain-Python model of the rules,
and the draft purchase order made from it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import msgspec
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from neuropilot.openapi import Batch
from neuropilot.supplier_models import SuggestedOrderLine
from tests.conftest import Person

ROW_FIELDS = [
    "item_id",
    "item_number",
    "item_name",
    "unit",
    "on_hand",
    "on_order",
    "min_qty",
    "max_qty",
    "need",
    "supplier_id",
    "supplier_name",
    "supplier_item_id",
    "pack_id",
    "pack_name",
    "pack_qty",
    "order_qty",
    "unit_price",
    "line_cost",
]
STATUSES = ("draft", "submitted", "received", "canceled")


def insert(owner: psycopg.Connection, sql: str, *args: Any) -> str:
    row = owner.execute(sql + " returning id", args).fetchone()
    assert row is not None
    return str(row[0])


# --- the model ---


@dataclass
class Line:
    status: str
    pack: int | None  # index into the item's packs
    req: Decimal
    received: Decimal


@dataclass
class Offer:
    supplier: int  # index into the kitchen's suppliers
    pack: int | None
    price: Decimal


@dataclass
class ItemSpec:
    min_qty: Decimal
    max_qty: Decimal
    packs: list[tuple[Decimal, bool]]  # (qty, active)
    movements: list[tuple[int, Decimal]]  # (location index, signed qty)
    lines: list[Line]
    offers: list[Offer]
    preferred: int | None  # index into offers


@dataclass
class Kitchen:
    suppliers: list[bool]  # active flags; names are "Supplier <index>"
    items: list[ItemSpec]


def ceil_div(a: Decimal, b: Decimal) -> Decimal:
    """ceil(a / b) for b > 0, exactly (both have at most three decimals)."""
    n, d = int(a * 1000), int(b * 1000)
    return Decimal(-(-n // d))


def model(k: Kitchen, numbers: list[str], supplier_filter: int | None = None) -> list[tuple[Any, ...]]:
    """(item_number, on_hand, on_order, need, supplier index, pack index, order_qty, line_cost) per
    row, in the contract's order."""
    rows = []
    for number, item in zip(numbers, k.items, strict=True):
        on_hand = sum((q for _, q in item.movements), Decimal(0))
        on_order = sum(
            ((line.req - line.received) * (item.packs[line.pack][0] if line.pack is not None else 1))
            for line in item.lines
            if line.status == "submitted"
        )
        if on_hand + on_order >= item.min_qty:
            continue
        need = max(item.max_qty, item.min_qty) - on_hand - on_order
        offer = item.offers[item.preferred] if item.preferred is not None else None
        if offer is not None and not (
            k.suppliers[offer.supplier] and (offer.pack is None or item.packs[offer.pack][1])
        ):
            offer = None  # a preferred supplier item counts only with its supplier and pack active
        if supplier_filter is not None and (offer is None or offer.supplier != supplier_filter):
            continue
        per = item.packs[offer.pack][0] if offer is not None and offer.pack is not None else Decimal(1)
        order_qty = ceil_div(need, per)
        rows.append(
            (
                number,
                on_hand,
                Decimal(on_order),
                need,
                offer.supplier if offer else None,
                offer.pack if offer else None,
                order_qty,
                order_qty * offer.price if offer else None,
            )
        )
    return sorted(rows, key=lambda r: (r[4] is None, r[4] if r[4] is not None else 0, r[0]))


# --- the same kitchen in the database ---

halves = st.integers(0, 80).map(lambda n: Decimal(n) / 2)
pack_sizes = st.sampled_from([Decimal("1"), Decimal("6"), Decimal("12"), Decimal("2.5"), Decimal("0.75")])


@st.composite
def item_specs(draw: st.DrawFn, suppliers: int) -> ItemSpec:
    packs = draw(st.lists(st.tuples(pack_sizes, st.booleans()), max_size=2))
    pack_index = st.one_of(st.none(), st.integers(0, len(packs) - 1)) if packs else st.none()
    movements = draw(st.lists(st.tuples(st.integers(0, 1), st.integers(-20, 40).filter(bool).map(Decimal)), max_size=3))
    lines = []
    for status, pack in draw(st.lists(st.tuples(st.sampled_from(STATUSES), pack_index), max_size=3)):
        req = draw(st.integers(1, 20).map(Decimal)) if pack is not None else draw(halves.filter(bool))
        lines.append(Line(status, pack, req, draw(st.integers(0, int(req)).map(Decimal))))
    offers, seen = [], set()
    for supplier, pack, cents in draw(
        st.lists(st.tuples(st.integers(0, suppliers - 1), pack_index, st.integers(0, 99999)), max_size=3)
    ):
        if (supplier, pack) not in seen:
            seen.add((supplier, pack))
            offers.append(Offer(supplier, pack, Decimal(cents) / 100))
    preferred = draw(st.one_of(st.none(), st.integers(0, len(offers) - 1))) if offers else None
    return ItemSpec(draw(halves), draw(halves), packs, movements, lines, offers, preferred)


@st.composite
def kitchens(draw: st.DrawFn) -> Kitchen:
    suppliers = draw(st.lists(st.booleans(), min_size=1, max_size=3))
    return Kitchen(suppliers, draw(st.lists(item_specs(len(suppliers)), min_size=1, max_size=6)))


@dataclass
class Built:
    numbers: list[str]
    suppliers: list[str]  # ids by index
    packs: list[list[str]]  # ids by item, by index


def build(owner: psycopg.Connection, k: Kitchen, run: int, people: dict[str, Person], kitchen: dict[str, str]) -> Built:
    """The kitchen as the owner writes it; earlier examples' items are deactivated, so only this one counts."""
    owner.execute("update item set active = false where active")
    locations = [kitchen["DRY"], kitchen["COOL"]]
    suppliers = [
        insert(owner, "insert into supplier (name, active) values (%s, %s)", f"Supplier {n} of {run:05d}", active)
        for n, active in enumerate(k.suppliers)
    ]
    built = Built([], suppliers, [])
    for j, item in enumerate(k.items):
        number = f"X{run:05d}I{j}"
        item_id = insert(
            owner,
            "insert into item (item_number, name, unit, min_qty, max_qty) values (%s, %s, 'kg', %s, %s)",
            number,
            number.lower(),
            item.min_qty,
            item.max_qty,
        )
        packs = [
            insert(
                owner,
                "insert into item_pack (item_id, name, qty, active) values (%s, %s, %s, %s)",
                item_id,
                f"p{n}",
                q,
                a,
            )
            for n, (q, a) in enumerate(item.packs)
        ]
        for location, qty in item.movements:
            owner.execute(
                "insert into movement (item_id, location_id, type, qty) values (%s, %s, %s, %s)",
                (item_id, locations[location], "receive" if qty > 0 else "use", qty),
            )
        for n, line in enumerate(item.lines):
            order = insert(
                owner,
                "insert into purchase_order (po_number, supplier, status, created_by) values (%s, 'x', %s, %s)",
                f"{number}-{n}",
                line.status,
                people["manager"].id,
            )
            owner.execute(
                "insert into purchase_order_line (order_id, item_id, pack_id, req_qty, received_qty, unit_price)"
                " values (%s, %s, %s, %s, %s, 1)",
                (order, item_id, packs[line.pack] if line.pack is not None else None, line.req, line.received),
            )
        for n, offer in enumerate(item.offers):
            owner.execute(
                "insert into supplier_item (supplier_id, item_id, pack_id, price, preferred)"
                " values (%s, %s, %s, %s, %s)",
                (
                    suppliers[offer.supplier],
                    item_id,
                    packs[offer.pack] if offer.pack is not None else None,
                    offer.price,
                    n == item.preferred,
                ),
            )
        built.numbers.append(number)
        built.packs.append(packs)
    return built


def observed(rows: list[dict[str, Any]], built: Built) -> list[tuple[Any, ...]]:
    by_supplier = {sid: n for n, sid in enumerate(built.suppliers)}
    out = []
    for row in rows:
        j = built.numbers.index(row["item_number"])
        pack = built.packs[j].index(row["pack_id"]) if row["pack_id"] else None
        out.append(
            (
                row["item_number"],
                Decimal(row["on_hand"]),
                Decimal(row["on_order"]),
                Decimal(row["need"]),
                by_supplier[row["supplier_id"]] if row["supplier_id"] else None,
                pack,
                Decimal(row["order_qty"]),
                Decimal(row["line_cost"]) if row["line_cost"] is not None else None,
            )
        )
    return out


RUNS = itertools.count()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(k=kitchens(), pick=st.integers(0, 2))
def test_suggestion_matches_the_model(
    client: TestClient,
    people: dict[str, Person],
    kitchen: dict[str, str],
    owner: psycopg.Connection,
    k: Kitchen,
    pick: int,
) -> None:
    built = build(owner, k, next(RUNS), people, kitchen)
    h = people["manager"].headers
    r = client.get("/v1/reports/suggested-order", headers=h)
    assert r.status_code == 200, r.text
    rows = r.json()["data"]
    assert all(list(row) == ROW_FIELDS for row in rows)
    assert observed(rows, built) == model(k, built.numbers)
    supplier = pick % len(k.suppliers)
    r = client.get(f"/v1/reports/suggested-order?supplier_id={built.suppliers[supplier]}", headers=h)
    assert observed(r.json()["data"], built) == model(k, built.numbers, supplier)


# --- examples ---


@pytest.fixture
def stocked(client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection) -> Any:
    """FLOUR (min 5, max 20) at 2 kg, preferred from the mill in sacks of 5 kg; MILK (min 5, max 20)
    at 1.5 kg, preferred from the dairy in crates of 2 kg (the mill sells it loose too)."""
    m = people["manager"]
    sack = insert(owner, "insert into item_pack (item_id, name, qty) values (%s, 'sack', 5)", kitchen["FLOUR"])
    crate = insert(owner, "insert into item_pack (item_id, name, qty) values (%s, 'crate', 2)", kitchen["MILK"])
    mill = client.post("/v1/suppliers", json={"name": "Mill & Co"}, headers=m.headers).json()
    dairy = client.post("/v1/suppliers", json={"name": "dairy direct"}, headers=m.headers).json()
    offers = [
        (mill, {"item_id": kitchen["FLOUR"], "pack_id": sack, "price": "4.5", "preferred": True}),
        (dairy, {"item_id": kitchen["MILK"], "pack_id": crate, "price": "5.94", "preferred": True}),
        (mill, {"item_id": kitchen["MILK"], "price": "1.10"}),
    ]
    for supplier, body in offers:
        r = client.post(f"/v1/suppliers/{supplier['id']}/items", json=body, headers=m.headers)
        assert r.status_code == 201, r.text
    for item, qty in (("FLOUR", "2"), ("MILK", "1.5")):
        body = {"item_id": kitchen[item], "location_id": kitchen["DRY"], "type": "receive", "qty": qty}
        assert client.post("/v1/movements", json=body, headers=m.headers).status_code == 201
    return {"mill": mill, "dairy": dairy, "sack": sack, "crate": crate}


def test_rows_as_the_contract_lists_them(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], stocked: Any
) -> None:
    m = people["manager"]
    # A submitted order of 1 crate of milk is on order (2 kg); a draft is not.
    for status_change in ("submit", None):
        line = {"item_id": kitchen["MILK"], "pack_id": stocked["crate"], "req_qty": "1", "unit_price": "5.94"}
        order = client.post(
            "/v1/purchase-orders", json={"supplier_id": stocked["dairy"]["id"], "lines": [line]}, headers=m.headers
        ).json()
        if status_change:
            client.post(f"/v1/purchase-orders/{order['id']}/{status_change}", headers=m.headers)
    r = client.get("/v1/reports/suggested-order", headers=m.headers)
    # PostgreSQL builds the JSON: it must be exactly what the documented Struct describes.
    assert len(msgspec.json.decode(r.content, type=Batch[SuggestedOrderLine]).data) == 2
    rows = r.json()["data"]
    assert rows == [
        {
            "item_id": kitchen["MILK"],
            "item_number": "MILK",
            "item_name": "Milk",
            "unit": "kg",
            "on_hand": "1.500",
            "on_order": "2.000",
            "min_qty": "5.000",
            "max_qty": "20.000",
            "need": "16.500",
            "supplier_id": stocked["dairy"]["id"],
            "supplier_name": "dairy direct",
            "supplier_item_id": rows[0]["supplier_item_id"],
            "pack_id": stocked["crate"],
            "pack_name": "crate",
            "pack_qty": "2.000",
            "order_qty": "9.000",  # 16.5 kg in crates of 2: 9 crates
            "unit_price": "5.9400",
            "line_cost": "53.4600",
        },
        {
            "item_id": kitchen["FLOUR"],
            "item_number": "FLOUR",
            "item_name": "Flour",
            "unit": "kg",
            "on_hand": "2.000",
            "on_order": "0.000",
            "min_qty": "5.000",
            "max_qty": "20.000",
            "need": "18.000",
            "supplier_id": stocked["mill"]["id"],
            "supplier_name": "Mill & Co",
            "supplier_item_id": rows[1]["supplier_item_id"],
            "pack_id": stocked["sack"],
            "pack_name": "sack",
            "pack_qty": "5.000",
            "order_qty": "4.000",
            "unit_price": "4.5000",
            "line_cost": "18.0000",
        },
    ]
    only = client.get(f"/v1/reports/suggested-order?supplier_id={stocked['mill']['id']}", headers=m.headers)
    assert [row["item_number"] for row in only.json()["data"]] == ["FLOUR"]


def test_an_item_without_a_preferred_supplier_comes_last_in_stock_units(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection, stocked: Any
) -> None:
    owner.execute("update supplier_item set preferred = false where item_id = %s", (kitchen["MILK"],))
    rows = client.get("/v1/reports/suggested-order", headers=people["admin"].headers).json()["data"]
    assert [row["item_number"] for row in rows] == ["FLOUR", "MILK"]
    milk = rows[1]
    assert {k: milk[k] for k in ROW_FIELDS[9:]} == {
        "supplier_id": None,
        "supplier_name": None,
        "supplier_item_id": None,
        "pack_id": None,
        "pack_name": None,
        "pack_qty": None,
        "order_qty": "19.000",  # ceil(18.5)
        "unit_price": None,
        "line_cost": None,
    }


@pytest.mark.parametrize("role", ["counter", "viewer"])
def test_counters_and_viewers_are_refused(
    client: TestClient, people: dict[str, Person], stocked: Any, role: str
) -> None:
    h = people[role].headers
    assert client.get("/v1/reports/suggested-order", headers=h).status_code == 403
    body = {"supplier_id": stocked["mill"]["id"]}
    assert client.post("/v1/purchase-orders/from-suggestion", json=body, headers=h).status_code == 403


def test_from_suggestion_drafts_the_suppliers_rows(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection, stocked: Any
) -> None:
    m = people["manager"]
    h = m.headers | {"Idempotency-Key": "weekly-1"}
    body = {"supplier_id": stocked["mill"]["id"]}
    r = client.post("/v1/purchase-orders/from-suggestion", json=body, headers=h)
    assert r.status_code == 201, r.text
    order = r.json()
    assert r.headers["location"] == f"/v1/purchase-orders/{order['id']}"
    assert (order["status"], order["supplier"], order["supplier_id"]) == ("draft", "Mill & Co", stocked["mill"]["id"])
    assert [(x["item_id"], x["pack_id"], x["req_qty"], x["unit_price"]) for x in order["lines"]] == [
        (kitchen["FLOUR"], stocked["sack"], "4.000", "4.5000")
    ]
    assert order["total_cost"] == "18.0000000"
    again = client.post("/v1/purchase-orders/from-suggestion", json=body, headers=h)
    assert again.status_code == 201 and again.json() == order
    assert owner.execute("select count(*) from purchase_order").fetchone() == (1,)
    # A draft is not on order: the suggestion still lists flour until the draft is submitted.
    rows = client.get("/v1/reports/suggested-order", headers=m.headers).json()["data"]
    assert "FLOUR" in [row["item_number"] for row in rows]
    client.post(f"/v1/purchase-orders/{order['id']}/submit", headers=m.headers)
    rows = client.get("/v1/reports/suggested-order", headers=m.headers).json()["data"]
    assert [row["item_number"] for row in rows] == ["MILK"]
    # The draft's PATCH works as for any draft; now there is nothing left to order from the mill.
    r = client.post("/v1/purchase-orders/from-suggestion", json=body, headers=m.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.supplier_id"
    audit = owner.execute("select action from audit_log where entity = 'purchase_order' order by id").fetchall()
    assert audit == [("purchase_order.create",), ("purchase_order.submitted",)]


@pytest.mark.parametrize("case", ["unknown", "inactive", "nothing"])
def test_from_suggestion_refusals_write_nothing(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection, stocked: Any, case: str
) -> None:
    m = people["manager"]
    quiet = client.post("/v1/suppliers", json={"name": "Quiet Ltd"}, headers=m.headers).json()
    if case == "inactive":
        client.patch(f"/v1/suppliers/{stocked['mill']['id']}", json={"active": False}, headers=m.headers)
    supplier_id = {
        "unknown": "00000000-0000-4000-8000-00000000dead",
        "inactive": stocked["mill"]["id"],
        "nothing": quiet["id"],
    }[case]
    before = owner.execute("select count(*) from audit_log").fetchone()
    r = client.post("/v1/purchase-orders/from-suggestion", json={"supplier_id": supplier_id}, headers=m.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.supplier_id"
    assert owner.execute("select count(*) from purchase_order").fetchone() == (0,)
    assert owner.execute("select count(*) from audit_log").fetchone() == before
