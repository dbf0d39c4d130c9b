"""POST /v1/suppliers/{id}/items/import over HTTP (CONTRACT §16, §12): a price list upserted by
(item_number, pack), missing packs created, preferred swapped, price history kept, all or nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from starlette.testclient import TestClient

from tests.conftest import Person

CSV_TYPE = {"Content-Type": "text/csv"}


@pytest.fixture
def shop(owner: psycopg.Connection, kitchen: dict[str, str]) -> dict[str, str]:
    """Two suppliers, a 'case' of 6 on FLOUR, and MILK preferred from the other supplier."""
    ids = dict(kitchen)
    for name in ("Mill & Co", "Other Dairy"):
        row = owner.execute("insert into supplier (name) values (%s) returning id::text", (name,)).fetchone()
        assert row is not None
        ids[name] = row[0]
    row = owner.execute(
        "insert into item_pack (item_id, name, qty) values (%s, 'case', 6) returning id::text", (kitchen["FLOUR"],)
    ).fetchone()
    assert row is not None
    ids["case"] = row[0]
    owner.execute(
        "insert into supplier_item (supplier_id, item_id, price, preferred) values (%s, %s, 0.9, true)",
        (ids["Other Dairy"], kitchen["MILK"]),
    )
    return ids


def post(client: TestClient, person: Person, supplier: str, body: str, query: str = "") -> Any:
    return client.post(
        f"/v1/suppliers/{supplier}/items/import{query}", content=body.encode(), headers=person.headers | CSV_TYPE
    )


def state(owner: psycopg.Connection) -> tuple[Any, ...]:
    def rows(sql: str) -> list[tuple[Any, ...]]:
        return owner.execute(sql).fetchall()

    return (
        rows(
            "select s.name, i.item_number, p.name, si.sku, si.price::text, si.preferred, si.active"
            " from supplier_item si join supplier s on s.id = si.supplier_id join item i on i.id = si.item_id"
            " left join item_pack p on p.id = si.pack_id order by 1, 2, 3 nulls first"
        ),
        rows(
            "select i.item_number, p.name, p.qty::text from item_pack p join item i on i.id = p.item_id order by 1, 2"
        ),
        rows("select count(*) from supplier_item_price"),
        rows("select count(*) from audit_log"),
    )


@pytest.fixture
def unchanged(owner: psycopg.Connection, shop: dict[str, str]) -> Iterator[None]:
    before = state(owner)
    yield
    assert state(owner) == before


PRICE_LIST = (
    "item_number,pack_name,pack_qty,sku,price,preferred\n"
    "FLOUR,case,,SKU-1,7.50,true\n"
    "FLOUR,bag,2,SKU-2,2.6,false\n"
    "MILK,,,M-1,0.95,yes\n"
)


def test_a_price_list_creates_packs_supplier_items_and_swaps_preferred(
    client: TestClient, people: dict[str, Person], shop: dict[str, str], owner: psycopg.Connection
) -> None:
    r = post(client, people["manager"], shop["Mill & Co"], PRICE_LIST)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "packs_created": 1,
        "dry_run": False,
        "rows": [
            {"line": 2, "item_number": "FLOUR", "pack_name": "case", "action": "created"},
            {"line": 3, "item_number": "FLOUR", "pack_name": "bag", "action": "created"},
            {"line": 4, "item_number": "MILK", "pack_name": None, "action": "created"},
        ],
    }
    items, packs, (prices,), _ = state(owner)
    assert items == [
        ("Mill & Co", "FLOUR", "bag", "SKU-2", "2.6000", False, True),
        ("Mill & Co", "FLOUR", "case", "SKU-1", "7.5000", True, True),
        ("Mill & Co", "MILK", None, "M-1", "0.9500", True, True),
        ("Other Dairy", "MILK", None, None, "0.9000", False, True),  # un-preferred
    ]
    assert packs == [("FLOUR", "bag", "2.000"), ("FLOUR", "case", "6.000")]
    assert prices == (4,)  # the first price of each supplier item
    (details,) = owner.execute("select details from audit_log where action = 'supplier_item.import'").fetchone() or ()
    assert (details["created"], details["packs_created"], details["rows"]) == (3, 1, 3)


def test_the_same_list_again_is_unchanged_and_a_new_price_is_history(
    client: TestClient, people: dict[str, Person], shop: dict[str, str], owner: psycopg.Connection
) -> None:
    assert post(client, people["manager"], shop["Mill & Co"], PRICE_LIST).status_code == 200
    again = post(client, people["manager"], shop["Mill & Co"], PRICE_LIST.replace("CASE", "case"))
    assert (again.json()["unchanged"], again.json()["packs_created"]) == (3, 0)
    before = state(owner)
    changed = post(client, people["manager"], shop["Mill & Co"], "item_number,pack_name,price\nFLOUR,Case,7.9\n")
    assert changed.status_code == 200, changed.text
    assert changed.json()["rows"] == [{"line": 2, "item_number": "FLOUR", "pack_name": "Case", "action": "updated"}]
    after = state(owner)
    assert after[2][0][0] == before[2][0][0] + 1  # one more price in the history
    assert ("Mill & Co", "FLOUR", "case", "SKU-1", "7.9000", True, True) in after[0]  # sku, preferred kept


def test_a_dry_run_writes_nothing(
    client: TestClient, people: dict[str, Person], shop: dict[str, str], unchanged: None
) -> None:
    r = post(client, people["manager"], shop["Mill & Co"], PRICE_LIST, "?dry_run=true")
    assert r.status_code == 200, r.text
    assert (r.json()["created"], r.json()["packs_created"], r.json()["dry_run"]) == (3, 1, True)


def test_every_problem_is_listed_and_nothing_changes(
    client: TestClient, people: dict[str, Person], shop: dict[str, str], unchanged: None
) -> None:
    body = (
        "item_number,pack_name,pack_qty,price,preferred\n"
        "NOPE,,,1,false\n"  # 2: no such item
        "FLOUR,case,12,1,false\n"  # 3: the case holds 6
        "FLOUR,crate,,1,false\n"  # 4: a new pack needs its size
        "MILK,,,,true\n"  # 5: a new supplier item needs a price
        "FLOUR,CASE,,1,false\n"  # 6: case again (a pack's name is case-insensitive)
        "MILK,bottle,1,1,true\n"  # 7: MILK preferred twice
        "MILK,,2,1,false\n"  # 8: pack_qty without a pack; MILK by unit twice
        'FLOUR,sack,5,"1,5",false\n'  # 9: a decimal comma
    )
    r = post(client, people["manager"], shop["Mill & Co"], body)
    assert r.status_code == 422, r.text
    assert [e["path"] for e in r.json()["errors"]] == [
        "line 2: item_number",
        "line 3: pack_qty",
        "line 4: pack_qty",
        "line 5: price",
        "line 6: item_number",
        "line 7: preferred",
        "line 8: pack_qty",
        "line 8: item_number",
        "line 9: price",
    ]
    messages = {e["path"]: e["message"] for e in r.json()["errors"]}
    assert messages["line 3: pack_qty"].startswith("the pack 'case' of FLOUR holds 6.000")
    assert messages["line 6: item_number"] == "FLOUR in the pack 'CASE' is also on line 3: one row per item and pack"


def test_unknown_supplier_roles_and_content_type(
    client: TestClient, people: dict[str, Person], shop: dict[str, str], unchanged: None
) -> None:
    unknown = "00000000-0000-0000-0000-000000000000"
    assert post(client, people["manager"], unknown, PRICE_LIST).status_code == 404
    assert post(client, people["counter"], shop["Mill & Co"], PRICE_LIST).status_code == 403
    r = client.post(f"/v1/suppliers/{shop['Mill & Co']}/items/import", json={"x": 1}, headers=people["manager"].headers)
    assert r.status_code == 415
    bad = post(client, people["manager"], shop["Mill & Co"], "item_number,price,colour\nFLOUR,1,red\n")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["path"] == "line 1: colour"
