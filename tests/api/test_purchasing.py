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
