"""Purchase orders: the life cycle, every illegal transition, over-receipt, the receipt race, stock."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest
from starlette.testclient import TestClient

from tests.conftest import Person


def new_order(client: TestClient, person: Person, kitchen: dict[str, str], **extra: Any) -> Any:
    body = {
        "supplier": "Mill & Co",
        "lines": [
            {"item_id": kitchen["FLOUR"], "req_qty": "25", "unit_price": "0.8125"},
            {"item_id": kitchen["MILK"], "req_qty": "12.5", "unit_price": "0.9900", "note": "whole"},
        ],
    } | extra
    r = client.post("/v1/purchase-orders", json=body, headers=person.headers)
    assert r.status_code == 201, r.text
    return r.json()


def act(client: TestClient, person: Person, order: dict[str, Any], action: str, body: Any = None) -> Any:
    return client.post(f"/v1/purchase-orders/{order['id']}/{action}", json=body, headers=person.headers)


def receipt(order: dict[str, Any], location: str, *qtys: str) -> dict[str, Any]:
    lines = [{"line_id": line["id"], "qty": q} for line, q in zip(order["lines"], qtys, strict=False) if q]
    return {"location_id": location, "lines": lines}


def on_hand(client: TestClient, person: Person, item: str, location: str) -> str | None:
    rows = client.get(f"/v1/stock?item_id={item}&location_id={location}", headers=person.headers).json()["data"]
    return rows[0]["on_hand"] if rows else None


def test_whole_life_cycle_with_partial_receipts_moves_stock(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    m = people["manager"]
    order = new_order(client, m, kitchen)
    assert order["status"] == "draft" and order["po_number"].startswith("PO-")
    assert order["total_cost"] == "32.6875000"  # 25 * 0.8125 + 12.5 * 0.99 = 20.3125 + 12.375, exact
    assert [line["remaining_qty"] for line in order["lines"]] == ["25.000", "12.500"]
    order = act(client, m, order, "submit").json()
    assert order["status"] == "submitted"
    r = act(client, m, order, "receive", receipt(order, kitchen["DRY"], "10", "12.5"))
    assert r.status_code == 200, r.text
    order = r.json()
    assert order["status"] == "submitted"
    assert [line["received_qty"] for line in order["lines"]] == ["10.000", "12.500"]
    order = act(client, m, order, "receive", receipt(order, kitchen["DRY"], "15")).json()
    assert order["status"] == "received"
    assert on_hand(client, m, kitchen["FLOUR"], kitchen["DRY"]) == "25.000"
    assert on_hand(client, m, kitchen["MILK"], kitchen["DRY"]) == "12.500"
    refs = owner.execute("select distinct reference, type from movement").fetchall()
    assert refs == [(order["po_number"], "receive")]
    statuses = owner.execute(
        "select action, details->'before'->>'status', details->'after'->>'status' from audit_log order by id"
    ).fetchall()
    assert statuses == [
        ("purchase_order.create", None, "draft"),
        ("purchase_order.submitted", "draft", "submitted"),
        ("purchase_order.receive", "submitted", "submitted"),
        ("purchase_order.receive", "submitted", "received"),
    ]


def test_po_numbers_are_generated_in_sequence_or_taken_as_given(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str]
) -> None:
    m = people["manager"]
    first, second = new_order(client, m, kitchen), new_order(client, m, kitchen)
    assert int(second["po_number"][3:]) == int(first["po_number"][3:]) + 1
    assert new_order(client, m, kitchen, po_number="ACME-7")["po_number"] == "ACME-7"
    r = client.post("/v1/purchase-orders", json={"supplier": "x", "po_number": "ACME-7"}, headers=m.headers)
    assert r.status_code == 409


@pytest.mark.parametrize("role", ["counter", "viewer"])
def test_counters_and_viewers_are_refused_and_see_nothing(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], role: str
) -> None:
    order = new_order(client, people["manager"], kitchen)
    h = people[role].headers
    assert client.get("/v1/purchase-orders", headers=h).status_code == 403
    assert client.get(f"/v1/purchase-orders/{order['id']}", headers=h).status_code == 403
    assert client.post("/v1/purchase-orders", json={"supplier": "x"}, headers=h).status_code == 403
    assert act(client, people[role], order, "submit").status_code == 403


def test_illegal_transitions_are_409(client: TestClient, people: dict[str, Person], kitchen: dict[str, str]) -> None:
    m = people["admin"]
    draft = new_order(client, m, kitchen)
    assert act(client, m, draft, "receive", receipt(draft, kitchen["DRY"], "1")).status_code == 409
    submitted = act(client, m, new_order(client, m, kitchen), "submit").json()
    assert act(client, m, submitted, "submit").status_code == 409
    r = client.patch(f"/v1/purchase-orders/{submitted['id']}", json={"supplier": "x"}, headers=m.headers)
    assert r.status_code == 409
    canceled = act(client, m, draft, "cancel").json()
    assert canceled["status"] == "canceled"
    for action, body in (("submit", None), ("cancel", None), ("receive", receipt(draft, kitchen["DRY"], "1"))):
        assert act(client, m, canceled, action, body).status_code == 409
    received = act(client, m, submitted, "receive", receipt(submitted, kitchen["DRY"], "25", "12.5")).json()
    assert received["status"] == "received"
    for action, body in (("submit", None), ("cancel", None), ("receive", receipt(received, kitchen["DRY"], "1"))):
        assert act(client, m, received, action, body).status_code == 409


def test_cancel_after_any_receipt_is_409(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str]
) -> None:
    m = people["manager"]
    order = act(client, m, new_order(client, m, kitchen), "submit").json()
    act(client, m, order, "receive", receipt(order, kitchen["DRY"], "1"))
    assert act(client, m, order, "cancel").status_code == 409
    fresh = act(client, m, new_order(client, m, kitchen), "submit").json()
    assert act(client, m, fresh, "cancel").json()["status"] == "canceled"


def test_empty_order_cannot_be_submitted(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str]
) -> None:
    m = people["manager"]
    order = new_order(client, m, kitchen, lines=[])
    assert order["total_cost"] == "0.0000000"
    assert act(client, m, order, "submit").status_code == 422


def test_over_receipt_is_422_and_changes_nothing(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    m = people["manager"]
    order = act(client, m, new_order(client, m, kitchen), "submit").json()
    r = act(client, m, order, "receive", receipt(order, kitchen["DRY"], "10", "12.501"))
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.lines[1].qty"
    twice = {"location_id": kitchen["DRY"], "lines": [{"line_id": order["lines"][0]["id"], "qty": "1"}] * 2}
    r = act(client, m, order, "receive", twice)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.lines[1].line_id"
    other = new_order(client, m, kitchen)
    foreign = {"location_id": kitchen["DRY"], "lines": [{"line_id": other["lines"][0]["id"], "qty": "1"}]}
    assert act(client, m, order, "receive", foreign).status_code == 422
    assert act(client, m, order, "receive", receipt(order, kitchen["DRY"], "0")).status_code == 422
    assert owner.execute("select count(*) from movement").fetchone() == (0,)
    assert owner.execute("select sum(received_qty)::text from purchase_order_line").fetchone() == ("0.000",)


def test_concurrent_receipts_never_over_receive(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    m = people["manager"]
    order = act(client, m, new_order(client, m, kitchen), "submit").json()
    body = receipt(order, kitchen["DRY"], "20")  # two of these would be 40 of 25
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: act(client, m, order, "receive", body), range(4)))
    assert sorted(r.status_code for r in results) == [200, 422, 422, 422]
    assert owner.execute("select sum(qty)::text from movement").fetchone() == ("20.000",)
    line = owner.execute("select received_qty::text from purchase_order_line where id = %s", (order["lines"][0]["id"],))
    assert line.fetchone() == ("20.000",)


def test_a_retried_receipt_does_not_receive_twice(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    m = people["manager"]
    order = act(client, m, new_order(client, m, kitchen), "submit").json()
    h = m.headers | {"Idempotency-Key": "receipt-1"}
    url = f"/v1/purchase-orders/{order['id']}/receive"
    first, again = (client.post(url, json=receipt(order, kitchen["DRY"], "5"), headers=h) for _ in range(2))
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    assert owner.execute("select count(*) from movement").fetchone() == (1,)


def test_patch_replaces_lines_while_draft_and_honours_if_match(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str]
) -> None:
    m = people["manager"]
    order = new_order(client, m, kitchen)
    url = f"/v1/purchase-orders/{order['id']}"
    tag = client.get(url, headers=m.headers).headers["etag"]
    lines = [{"item_id": kitchen["MILK"], "req_qty": "3", "unit_price": "1.0001"}]
    r = client.patch(url, json={"lines": lines, "notes": "call first"}, headers=m.headers | {"If-Match": tag})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (len(body["lines"]), body["total_cost"], body["notes"], body["supplier"]) == (
        1,
        "3.0003000",
        "call first",
        "Mill & Co",
    )
    assert client.patch(url, json={"supplier": "B"}, headers=m.headers | {"If-Match": tag}).status_code == 412


@pytest.mark.parametrize(
    ("line", "path"),
    [
        ({"req_qty": "0"}, "$.lines[0].req_qty"),
        ({"req_qty": "-1"}, "$.lines[0].req_qty"),
        ({"unit_price": "-0.01"}, "$.lines[0].unit_price"),
        ({"unit_price": "0.00001"}, "$.lines[0].unit_price"),
        ({"item_id": "00000000-0000-4000-8000-00000000dead"}, "$.lines[0].item_id"),
    ],
)
def test_invalid_lines_are_422_naming_them(
    client: TestClient,
    people: dict[str, Person],
    kitchen: dict[str, str],
    owner: psycopg.Connection,
    line: dict[str, str],
    path: str,
) -> None:
    good = {"item_id": kitchen["FLOUR"], "req_qty": "1", "unit_price": "1"}
    r = client.post(
        "/v1/purchase-orders", json={"supplier": "x", "lines": [good | line]}, headers=people["admin"].headers
    )
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == path
    assert owner.execute("select count(*) from purchase_order").fetchone() == (0,)


def test_list_filters_by_status_and_supplier_and_pages(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str]
) -> None:
    m = people["manager"]
    for n in range(5):
        order = new_order(client, m, kitchen, supplier=f"S{n % 2}")
        if n < 2:
            act(client, m, order, "submit")
    h = m.headers
    assert len(client.get("/v1/purchase-orders?status=submitted", headers=h).json()["data"]) == 2
    assert len(client.get("/v1/purchase-orders?supplier=S0", headers=h).json()["data"]) == 3
    first = client.get("/v1/purchase-orders?limit=3", headers=h).json()
    rest = client.get(f"/v1/purchase-orders?limit=3&cursor={first['next_cursor']}", headers=h).json()
    ids = [o["id"] for o in first["data"] + rest["data"]]
    assert len(ids) == len(set(ids)) == 5 and rest["next_cursor"] is None
    assert client.get("/v1/purchase-orders?status=lost", headers=h).status_code == 422


# --- suppliers, packs and invoice prices (CONTRACT §12) ---


def new_supplier(client: TestClient, person: Person, name: str = "Mill & Co") -> Any:
    r = client.post("/v1/suppliers", json={"name": name}, headers=person.headers)
    assert r.status_code == 201, r.text
    return r.json()


def new_pack(owner: psycopg.Connection, item_id: str, name: str = "case", qty: str = "6") -> str:
    row = owner.execute(
        "insert into item_pack (item_id, name, qty) values (%s, %s, %s) returning id", (item_id, name, qty)
    ).fetchone()
    assert row is not None
    return str(row[0])


def test_supplier_id_names_the_supplier_and_filters_the_list(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str]
) -> None:
    m = people["manager"]
    mill = new_supplier(client, m)
    order = new_order(client, m, kitchen, supplier="mill & co", supplier_id=mill["id"])
    assert (order["supplier"], order["supplier_id"]) == ("Mill & Co", mill["id"])
    plain = {"lines": [], "supplier_id": mill["id"]}
    by_id = client.post("/v1/purchase-orders", json=plain, headers=m.headers).json()
    assert by_id["supplier"] == "Mill & Co"
    new_order(client, m, kitchen)  # by name only: no supplier_id
    listed = client.get(f"/v1/purchase-orders?supplier_id={mill['id']}", headers=m.headers).json()["data"]
    assert {o["id"] for o in listed} == {order["id"], by_id["id"]}
    assert all(o["supplier_id"] == mill["id"] for o in listed)
    # Renaming the order's supplier name away from its supplier is refused; detaching is allowed.
    url = f"/v1/purchase-orders/{order['id']}"
    r = client.patch(url, json={"supplier": "Someone Else"}, headers=m.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.supplier"
    r = client.patch(url, json={"supplier_id": None, "supplier": "Someone Else"}, headers=m.headers)
    assert r.status_code == 200 and (r.json()["supplier"], r.json()["supplier_id"]) == ("Someone Else", None)
    r = client.patch(url, json={"supplier_id": mill["id"]}, headers=m.headers)
    assert (r.json()["supplier"], r.json()["supplier_id"]) == ("Mill & Co", mill["id"])


@pytest.mark.parametrize("case", ["other name", "unknown", "inactive", "neither"])
def test_a_wrong_supplier_is_422_and_writes_nothing(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection, case: str
) -> None:
    m = people["manager"]
    mill = new_supplier(client, m)
    dead = new_supplier(client, m, "Gone Ltd")
    client.patch(f"/v1/suppliers/{dead['id']}", json={"active": False}, headers=m.headers)
    line = {"item_id": kitchen["FLOUR"], "req_qty": "1", "unit_price": "1"}
    body, path = {
        "other name": ({"supplier": "Dairy Direct", "supplier_id": mill["id"]}, "$.supplier"),
        "unknown": ({"supplier_id": "00000000-0000-4000-8000-00000000dead"}, "$.supplier_id"),
        "inactive": ({"supplier_id": dead["id"]}, "$.supplier_id"),
        "neither": ({}, "$.supplier"),
    }[case]
    r = client.post("/v1/purchase-orders", json=body | {"lines": [line]}, headers=m.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == path, r.text
    assert owner.execute("select count(*) from purchase_order").fetchone() == (0,)
    assert owner.execute("select count(*) from purchase_order_line").fetchone() == (0,)


def test_lines_in_packs_receive_packs_times_pack_qty(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    m = people["manager"]
    case = new_pack(owner, kitchen["MILK"], "crate", "12")
    lines = [
        {"item_id": kitchen["MILK"], "pack_id": case, "req_qty": "3", "unit_price": "10.8000"},
        {"item_id": kitchen["FLOUR"], "req_qty": "25", "unit_price": "0.8125"},
    ]
    order = new_order(client, m, kitchen, lines=lines)
    milk, flour = order["lines"]
    assert (milk["pack_id"], milk["pack_name"], milk["pack_qty"], milk["req_qty"]) == (case, "crate", "12.000", "3.000")
    assert (flour["pack_id"], flour["pack_name"], flour["pack_qty"]) == (None, None, None)
    assert order["total_cost"] == "52.7125000"  # 3 crates x 10.80 + 25 kg x 0.8125
    order = act(client, m, order, "submit").json()
    r = act(client, m, order, "receive", receipt(order, kitchen["COOL"], "2"))
    assert r.status_code == 200, r.text
    line = r.json()["lines"][0]
    assert (line["received_qty"], line["remaining_qty"]) == ("2.000", "1.000")  # packs
    assert on_hand(client, m, kitchen["MILK"], kitchen["COOL"]) == "24.000"  # stock units
    r = act(client, m, order, "receive", receipt(order, kitchen["COOL"], "1.5"))
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.lines[0].qty"
    assert owner.execute("select qty::text from movement").fetchall() == [("24.000",)]


def test_a_pack_fraction_that_is_not_whole_stock_units_is_422(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    m = people["manager"]
    odd = new_pack(owner, kitchen["MILK"], "third", "0.333")
    line = {"item_id": kitchen["MILK"], "pack_id": odd, "req_qty": "1.5", "unit_price": "1"}
    r = client.post("/v1/purchase-orders", json={"supplier": "x", "lines": [line]}, headers=m.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.lines[0].req_qty"
    assert owner.execute("select count(*) from purchase_order").fetchone() == (0,)


@pytest.mark.parametrize("which", ["another item's", "inactive", "unknown"])
def test_a_wrong_pack_on_a_line_is_422_and_writes_nothing(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection, which: str
) -> None:
    flour_case = new_pack(owner, kitchen["FLOUR"], "sack", "25")
    old = new_pack(owner, kitchen["MILK"], "old crate", "12")
    owner.execute("update item_pack set active = false where id = %s", (old,))
    pack = {"another item's": flour_case, "inactive": old, "unknown": "00000000-0000-4000-8000-00000000dead"}[which]
    lines = [
        {"item_id": kitchen["FLOUR"], "req_qty": "1", "unit_price": "1"},
        {"item_id": kitchen["MILK"], "pack_id": pack, "req_qty": "1", "unit_price": "1"},
    ]
    r = client.post("/v1/purchase-orders", json={"supplier": "x", "lines": lines}, headers=people["admin"].headers)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.lines[1].pack_id", r.text
    assert owner.execute("select count(*) from purchase_order").fetchone() == (0,)


def test_the_database_refuses_a_line_with_another_items_pack(
    owner: psycopg.Connection, kitchen: dict[str, str], people: dict[str, Person]
) -> None:
    flour_case = new_pack(owner, kitchen["FLOUR"], "sack", "25")
    owner.execute("insert into purchase_order (po_number, supplier) values ('PO-X', 'x')")
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        owner.execute(
            "insert into purchase_order_line (order_id, item_id, pack_id, req_qty)"
            " select id, %s, %s, 1 from purchase_order",
            (kitchen["MILK"], flour_case),
        )


def test_invoice_prices_show_variances_and_become_the_suppliers_price(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    m = people["manager"]
    mill = new_supplier(client, m)
    crate = new_pack(owner, kitchen["MILK"], "crate", "12")
    r = client.post(
        f"/v1/suppliers/{mill['id']}/items",
        json={"item_id": kitchen["MILK"], "pack_id": crate, "price": "10.8"},
        headers=m.headers,
    )
    supplier_item = r.json()
    lines = [
        {"item_id": kitchen["MILK"], "pack_id": crate, "req_qty": "4", "unit_price": "10.8000"},
        {"item_id": kitchen["FLOUR"], "req_qty": "10", "unit_price": "0.8000"},
    ]
    order = act(client, m, new_order(client, m, kitchen, supplier_id=mill["id"], lines=lines), "submit").json()
    assert order["price_variances"] == []
    milk, flour = order["lines"]
    body = {
        "location_id": kitchen["COOL"],
        "lines": [
            {"line_id": milk["id"], "qty": "2", "unit_price": "11.25"},
            {"line_id": flour["id"], "qty": "10", "unit_price": "0.8"},  # as ordered: no variance
        ],
    }
    r = act(client, m, order, "receive", body)
    assert r.status_code == 200, r.text
    order = r.json()
    assert order["price_variances"] == [
        {"line_id": milk["id"], "ordered": "10.8000", "received": "11.2500", "difference": "0.4500"}
    ]
    assert [line["received_price"] for line in order["lines"]] == ["11.2500", "0.8000"]
    assert client.get(f"/v1/purchase-orders/{order['id']}", headers=m.headers).json() == order
    prices = client.get(f"/v1/supplier-items/{supplier_item['id']}/prices", headers=m.headers).json()["data"]
    assert [(p["price"], p["changed_by"]) for p in prices] == [("11.2500", m.id), ("10.8000", m.id)]
    # Flour is not one of the supplier's items: nothing new there. A receipt without prices keeps them.
    assert owner.execute("select count(*) from supplier_item").fetchone() == (1,)
    r = act(client, m, order, "receive", receipt(order, kitchen["COOL"], "1"))
    assert r.json()["lines"][0]["received_price"] == "11.2500"
    audit = owner.execute(
        "select details->'supplier_prices' from audit_log where action = 'purchase_order.receive' order by id"
    ).fetchall()
    assert audit == [([{"supplier_item_id": supplier_item["id"], "price": "11.2500"}],), ([],)]


def test_without_a_supplier_id_an_invoice_price_changes_no_supplier_item(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    m = people["manager"]
    mill = new_supplier(client, m)
    body = {"item_id": kitchen["FLOUR"], "price": "0.8125"}
    assert client.post(f"/v1/suppliers/{mill['id']}/items", json=body, headers=m.headers).status_code == 201
    order = act(client, m, new_order(client, m, kitchen, supplier="Mill & Co"), "submit").json()
    line = {"line_id": order["lines"][0]["id"], "qty": "25", "unit_price": "0.9"}
    r = act(client, m, order, "receive", {"location_id": kitchen["DRY"], "lines": [line]})
    assert r.json()["price_variances"][0]["difference"] == "0.0875"
    assert owner.execute("select price::text from supplier_item").fetchone() == ("0.8125",)
    assert owner.execute("select count(*) from supplier_item_price").fetchone() == (1,)


def test_a_bad_invoice_price_is_422_and_receives_nothing(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    m = people["manager"]
    order = act(client, m, new_order(client, m, kitchen), "submit").json()
    for price in ("-1", "0.00001", 1.5):
        line = {"line_id": order["lines"][0]["id"], "qty": "1", "unit_price": price}
        r = act(client, m, order, "receive", {"location_id": kitchen["DRY"], "lines": [line]})
        assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.lines[0].unit_price"
    assert owner.execute("select count(*) from movement").fetchone() == (0,)
