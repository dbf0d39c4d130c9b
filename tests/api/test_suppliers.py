"""Suppliers and supplier items over HTTP: roles, 409s, 422s that write nothing, preferred, price history."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest
from starlette.testclient import TestClient

from tests.conftest import Person


def new_supplier(client: TestClient, person: Person, name: str = "Mill & Co", **extra: Any) -> Any:
    r = client.post("/v1/suppliers", json={"name": name} | extra, headers=person.headers)
    assert r.status_code == 201, r.text
    return r.json()


def new_pack(owner: psycopg.Connection, item_id: str, name: str = "case", qty: str = "6") -> str:
    row = owner.execute(
        "insert into item_pack (item_id, name, qty) values (%s, %s, %s) returning id", (item_id, name, qty)
    ).fetchone()
    assert row is not None
    return str(row[0])


def sell(client: TestClient, person: Person, supplier: dict[str, Any], item_id: str, price: str, **extra: Any) -> Any:
    body = {"item_id": item_id, "price": price} | extra
    return client.post(f"/v1/suppliers/{supplier['id']}/items", json=body, headers=person.headers)


def counts(owner: psycopg.Connection) -> tuple[Any, ...]:
    row = owner.execute(
        "select (select count(*) from supplier), (select count(*) from supplier_item),"
        " (select count(*) from supplier_item_price), (select count(*) from audit_log)"
    ).fetchone()
    assert row is not None
    return tuple(row)


def test_create_get_list_and_patch_a_supplier(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection
) -> None:
    m = people["manager"]
    created = new_supplier(client, m, contact_email="orders@mill.example", phone="+44 20 7946 0000")
    assert (created["lead_time_days"], created["active"], created["notes"]) == (1, True, None)
    r = client.get(f"/v1/suppliers/{created['id']}", headers=m.headers)
    assert r.status_code == 200 and r.json() == created
    tag = r.headers["etag"]
    url = f"/v1/suppliers/{created['id']}"
    r = client.patch(url, json={"lead_time_days": 3, "notes": "Tuesdays"}, headers=m.headers | {"If-Match": tag})
    assert r.status_code == 200, r.text
    assert (r.json()["lead_time_days"], r.json()["notes"]) == (3, "Tuesdays")
    assert client.patch(url, json={"active": False}, headers=m.headers | {"If-Match": tag}).status_code == 412
    audit = owner.execute(
        "select action, details->'before', details->'after' from audit_log where entity = 'supplier' order by id"
    ).fetchall()
    assert audit[0][0] == "supplier.create"
    before, after = {"lead_time_days": 1, "notes": None}, {"lead_time_days": 3, "notes": "Tuesdays"}
    assert audit[1] == ("supplier.update", before, after)


def test_duplicate_name_in_any_case_is_409(client: TestClient, people: dict[str, Person]) -> None:
    m = people["admin"]
    first = new_supplier(client, m, "Mill & Co")
    assert client.post("/v1/suppliers", json={"name": "MILL & CO"}, headers=m.headers).status_code == 409
    other = new_supplier(client, m, "Dairy Direct")
    r = client.patch(f"/v1/suppliers/{other['id']}", json={"name": "mill & co"}, headers=m.headers)
    assert r.status_code == 409
    assert client.get(f"/v1/suppliers/{first['id']}", headers=m.headers).json()["name"] == "Mill & Co"


def test_list_pages_by_name_and_filters(client: TestClient, people: dict[str, Person]) -> None:
    m = people["manager"]
    for name in ("beta foods", "Alpha Mill", "Gamma Dairy", "delta fish"):
        new_supplier(client, m, name)
    gamma = client.get("/v1/suppliers?q=gamma", headers=m.headers).json()["data"]
    client.patch(f"/v1/suppliers/{gamma[0]['id']}", json={"active": False}, headers=m.headers)
    first = client.get("/v1/suppliers?limit=3", headers=m.headers).json()
    rest = client.get(f"/v1/suppliers?limit=3&cursor={first['next_cursor']}", headers=m.headers).json()
    names = [s["name"] for s in first["data"] + rest["data"]]
    assert names == ["Alpha Mill", "beta foods", "delta fish", "Gamma Dairy"] and rest["next_cursor"] is None
    active = client.get("/v1/suppliers?active=true", headers=m.headers).json()["data"]
    assert [s["name"] for s in active] == ["Alpha Mill", "beta foods", "delta fish"]
    assert [s["name"] for s in client.get("/v1/suppliers?q=%25", headers=m.headers).json()["data"]] == []
    assert client.get("/v1/suppliers?active=yes", headers=m.headers).status_code == 422


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"name": ""}, "$.name"),
        ({"name": "x" * 201}, "$.name"),
        ({"name": "x", "lead_time_days": 366}, "$.lead_time_days"),
        ({"name": "x", "lead_time_days": -1}, "$.lead_time_days"),
        ({"name": "x", "lead_time_days": "2"}, "$.lead_time_days"),
        ({"name": "x", "contact_email": "nobody"}, "$.contact_email"),
        ({"name": "x", "colour": "red"}, "$.colour"),
    ],
)
def test_invalid_supplier_is_422_and_writes_nothing(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection, body: dict[str, Any], path: str
) -> None:
    r = client.post("/v1/suppliers", json=body, headers=people["manager"].headers)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == path
    assert counts(owner) == (0, 0, 0, 0)


@pytest.mark.parametrize("role", ["counter", "viewer"])
def test_counters_and_viewers_are_refused_everything(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], role: str
) -> None:
    supplier = new_supplier(client, people["manager"])
    item = sell(client, people["manager"], supplier, kitchen["FLOUR"], "1.0000").json()
    h = people[role].headers
    for method, url, body in [
        ("GET", "/v1/suppliers", None),
        ("POST", "/v1/suppliers", {"name": "Sneaky"}),
        ("GET", f"/v1/suppliers/{supplier['id']}", None),
        ("PATCH", f"/v1/suppliers/{supplier['id']}", {"notes": "x"}),
        ("GET", f"/v1/suppliers/{supplier['id']}/items", None),
        ("POST", f"/v1/suppliers/{supplier['id']}/items", {"item_id": kitchen["MILK"], "price": "1"}),
        ("GET", f"/v1/supplier-items/{item['id']}", None),
        ("PATCH", f"/v1/supplier-items/{item['id']}", {"price": "0"}),
        ("GET", f"/v1/supplier-items/{item['id']}/prices", None),
    ]:
        assert client.request(method, url, json=body, headers=h).status_code == 403, (method, url)


def test_supplier_items_in_packs_and_by_the_stock_unit(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    m = people["manager"]
    case = new_pack(owner, kitchen["FLOUR"], "sack", "25")
    supplier = new_supplier(client, m)
    r = sell(client, m, supplier, kitchen["FLOUR"], "18.5", pack_id=case, sku="FL-25")
    assert r.status_code == 201, r.text
    sack = r.json()
    assert r.headers["location"] == f"/v1/supplier-items/{sack['id']}"
    assert (sack["pack_name"], sack["pack_qty"], sack["price"], sack["sku"], sack["unit"]) == (
        "sack",
        "25.000",
        "18.5000",
        "FL-25",
        "kg",
    )
    loose = sell(client, m, supplier, kitchen["FLOUR"], "0.9").json()
    assert (loose["pack_id"], loose["pack_name"], loose["pack_qty"]) == (None, None, None)
    listed = client.get(f"/v1/suppliers/{supplier['id']}/items", headers=m.headers).json()
    assert {i["id"] for i in listed["data"]} == {sack["id"], loose["id"]} and listed["next_cursor"] is None
    one = client.get(f"/v1/suppliers/{supplier['id']}/items?limit=1", headers=m.headers).json()
    two = client.get(f"/v1/suppliers/{supplier['id']}/items?limit=1&cursor={one['next_cursor']}", headers=m.headers)
    assert {one["data"][0]["id"], two.json()["data"][0]["id"]} == {sack["id"], loose["id"]}
    assert client.get(f"/v1/suppliers/{supplier['id']}/items?active=false", headers=m.headers).json()["data"] == []


def test_same_item_and_pack_twice_is_409_even_without_a_pack(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    m = people["manager"]
    case = new_pack(owner, kitchen["MILK"])
    supplier, other = new_supplier(client, m), new_supplier(client, m, "Dairy Direct")
    assert sell(client, m, supplier, kitchen["MILK"], "1").status_code == 201
    assert sell(client, m, supplier, kitchen["MILK"], "2").status_code == 409  # null pack is one value
    assert sell(client, m, supplier, kitchen["MILK"], "5", pack_id=case).status_code == 201
    assert sell(client, m, supplier, kitchen["MILK"], "6", pack_id=case).status_code == 409
    assert sell(client, m, other, kitchen["MILK"], "1").status_code == 201
    assert owner.execute("select count(*) from supplier_item").fetchone() == (3,)


def test_invalid_supplier_items_are_422_and_write_nothing(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    m = people["manager"]
    supplier = new_supplier(client, m)
    milk_case = new_pack(owner, kitchen["MILK"])
    old = new_pack(owner, kitchen["FLOUR"], "old sack")
    owner.execute("update item_pack set active = false where id = %s", (old,))
    owner.execute("update item set active = false where id = %s", (kitchen["MILK"],))
    before = counts(owner)
    for extra, path in [
        ({"pack_id": milk_case}, "$.pack_id"),  # another item's pack
        ({"pack_id": old}, "$.pack_id"),  # inactive
        ({"pack_id": "00000000-0000-4000-8000-00000000dead"}, "$.pack_id"),
        ({"price": "-1"}, "$.price"),
        ({"price": "0.00001"}, "$.price"),
        ({"price": 1.5}, "$.price"),
        ({"sku": ""}, "$.sku"),
    ]:
        body = {"item_id": kitchen["FLOUR"], "price": "1"} | extra
        r = client.post(f"/v1/suppliers/{supplier['id']}/items", json=body, headers=m.headers)
        assert r.status_code == 422 and r.json()["errors"][0]["path"] == path, (extra, r.text)
    r = sell(client, m, supplier, kitchen["MILK"], "1")
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.item_id"
    assert counts(owner) == before
    nowhere = "/v1/suppliers/00000000-0000-4000-8000-00000000dead/items"
    assert client.post(nowhere, json={"item_id": kitchen["FLOUR"], "price": "1"}, headers=m.headers).status_code == 404
    assert client.get(nowhere, headers=m.headers).status_code == 404


def test_a_pack_of_another_item_is_refused_by_the_database_too(
    owner: psycopg.Connection, kitchen: dict[str, str]
) -> None:
    milk_case = new_pack(owner, kitchen["MILK"])
    owner.execute("insert into supplier (name) values ('Mill')")
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        owner.execute(
            "insert into supplier_item (supplier_id, item_id, pack_id, price) select id, %s, %s, 1 from supplier",
            (kitchen["FLOUR"], milk_case),
        )


def preferred_of(owner: psycopg.Connection, item_id: str) -> list[str]:
    rows = owner.execute("select id from supplier_item where item_id = %s and preferred", (item_id,))
    return [str(r[0]) for r in rows]


def test_preferring_one_unprefers_the_other(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    m = people["manager"]
    a, b = new_supplier(client, m, "A"), new_supplier(client, m, "B")
    first = sell(client, m, a, kitchen["FLOUR"], "1", preferred=True).json()
    second = sell(client, m, b, kitchen["FLOUR"], "2", preferred=True).json()
    assert preferred_of(owner, kitchen["FLOUR"]) == [second["id"]]
    assert client.get(f"/v1/supplier-items/{first['id']}", headers=m.headers).json()["preferred"] is False
    r = client.patch(f"/v1/supplier-items/{first['id']}", json={"preferred": True}, headers=m.headers)
    assert r.status_code == 200 and r.json()["preferred"] is True
    assert preferred_of(owner, kitchen["FLOUR"]) == [first["id"]]
    details = owner.execute(
        "select details->'unpreferred' from audit_log where action = 'supplier_item.update'"
    ).fetchone()
    assert details == ([second["id"]],)
    # Deactivating un-prefers; an inactive supplier item cannot be made preferred.
    r = client.patch(f"/v1/supplier-items/{first['id']}", json={"active": False}, headers=m.headers)
    assert (r.json()["active"], r.json()["preferred"]) == (False, False)
    r = client.patch(f"/v1/supplier-items/{first['id']}", json={"preferred": True}, headers=m.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.preferred"
    assert preferred_of(owner, kitchen["FLOUR"]) == []


def test_two_managers_preferring_at_once_end_with_one(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    m, a = people["manager"], people["admin"]
    rows = [sell(client, m, new_supplier(client, m, f"S{n}"), kitchen["FLOUR"], "1").json() for n in range(4)]
    for _ in range(3):
        with ThreadPoolExecutor(4) as pool:
            results = list(
                pool.map(
                    lambda n: client.patch(
                        f"/v1/supplier-items/{rows[n]['id']}", json={"preferred": True}, headers=(m, a)[n % 2].headers
                    ),
                    range(4),
                )
            )
        assert [r.status_code for r in results] == [200] * 4, [r.text for r in results]
        assert len(preferred_of(owner, kitchen["FLOUR"])) == 1


def test_price_history_newest_first_with_who_changed_it(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str]
) -> None:
    m, a = people["manager"], people["admin"]
    item = sell(client, m, new_supplier(client, m), kitchen["FLOUR"], "1.1").json()
    url = f"/v1/supplier-items/{item['id']}"
    client.patch(url, json={"price": "1.2"}, headers=a.headers)
    client.patch(url, json={"price": "1.2000", "sku": "X"}, headers=a.headers)  # same price: no new row
    client.patch(url, json={"price": "0"}, headers=m.headers)
    history = client.get(f"{url}/prices", headers=m.headers).json()
    assert [(p["price"], p["changed_by"]) for p in history["data"]] == [
        ("0.0000", m.id),
        ("1.2000", a.id),
        ("1.1000", m.id),
    ]
    assert history["next_cursor"] is None
    first = client.get(f"{url}/prices?limit=2", headers=m.headers).json()
    rest = client.get(f"{url}/prices?limit=2&cursor={first['next_cursor']}", headers=m.headers).json()
    assert [p["price"] for p in first["data"] + rest["data"]] == ["0.0000", "1.2000", "1.1000"]
    assert client.get(f"{url}/prices?cursor=WyJ4Il0", headers=m.headers).status_code == 422
    unknown = "/v1/supplier-items/00000000-0000-4000-8000-00000000dead/prices"
    assert client.get(unknown, headers=m.headers).status_code == 404


def test_patch_supplier_item_honours_if_match_and_audits(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    m = people["manager"]
    item = sell(client, m, new_supplier(client, m), kitchen["FLOUR"], "1.1").json()
    url = f"/v1/supplier-items/{item['id']}"
    tag = client.get(url, headers=m.headers).headers["etag"]
    r = client.patch(url, json={"price": "1.3", "sku": "F-1"}, headers=m.headers | {"If-Match": tag})
    assert r.status_code == 200 and (r.json()["price"], r.json()["sku"]) == ("1.3000", "F-1")
    assert client.patch(url, json={"price": "9"}, headers=m.headers | {"If-Match": tag}).status_code == 412
    assert client.patch(url, json={"supplier_id": item["supplier_id"]}, headers=m.headers).status_code == 422
    row = owner.execute(
        "select details->'before', details->'after' from audit_log where action = 'supplier_item.update'"
    ).fetchone()
    assert row == ({"price": "1.1000", "sku": None}, {"price": "1.3", "sku": "F-1"})
    assert client.get(url, headers=m.headers).json()["price"] == "1.3000"


def test_create_is_idempotent(client: TestClient, people: dict[str, Person], kitchen: dict[str, str]) -> None:
    m = people["manager"]
    h = m.headers | {"Idempotency-Key": "supplier-1"}
    first, again = (client.post("/v1/suppliers", json={"name": "Once"}, headers=h) for _ in range(2))
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert client.post("/v1/suppliers", json={"name": "Other"}, headers=h).status_code == 422
    url = f"/v1/suppliers/{first.json()['id']}/items"
    h = m.headers | {"Idempotency-Key": "supplier-item-1"}
    body = {"item_id": kitchen["FLOUR"], "price": "1"}
    first, again = (client.post(url, json=body, headers=h) for _ in range(2))
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
