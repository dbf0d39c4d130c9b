"""Packs and counts entered in packs (CONTRACT §11) over HTTP: roles, 404/409/412, breakdown sums,
every refusal naming its path with nothing written, idempotent replays."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest
from starlette.testclient import TestClient

from tests.conftest import Person

OTHER_ITEM = "00000000-0000-4000-8000-0000000000ff"


def add_pack(client: TestClient, person: Person, item: str, name: str, qty: str, **headers: str) -> Any:
    return client.post(f"/v1/items/{item}/packs", json={"name": name, "qty": qty}, headers=person.headers | headers)


@pytest.fixture
def case(client: TestClient, people: dict[str, Person], kitchen: dict[str, str]) -> dict[str, Any]:
    r = add_pack(client, people["manager"], kitchen["FLOUR"], "case", "6")
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def rows(owner: psycopg.Connection, table: str) -> int:
    row = owner.execute(f"select count(*) from {table}").fetchone()
    assert row is not None
    return int(row[0])


def snapshot(owner: psycopg.Connection) -> tuple[int, ...]:
    return tuple(
        rows(owner, t) for t in ("inventory_count", "audit_log", "stock_level", "item_pack", "idempotency_key")
    )


def count(client: TestClient, person: Person, body: dict[str, Any], **headers: str) -> Any:
    return client.post("/v1/counts", json=body, headers=person.headers | headers)


# --- packs ---


def test_manager_adds_lists_and_changes_packs(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    flour = kitchen["FLOUR"]
    r = add_pack(client, people["manager"], flour, "case", "6")
    assert r.status_code == 201, r.text
    pack = r.json()
    assert (pack["name"], pack["qty"], pack["active"], pack["item_id"]) == ("case", "6.000", True, flour)
    assert r.headers["location"] == f"/v1/items/{flour}/packs/{pack['id']}"
    assert add_pack(client, people["admin"], flour, "bag", "0.5").status_code == 201
    listed = client.get(f"/v1/items/{flour}/packs", headers=people["viewer"].headers).json()
    assert [p["name"] for p in listed["data"]] == ["bag", "case"] and listed["next_cursor"] is None
    item = client.get(f"/v1/items/{flour}", headers=people["counter"].headers).json()
    assert [(p["name"], p["qty"]) for p in item["packs"]] == [("bag", "0.500"), ("case", "6.000")]
    assert set(item["packs"][0]) == {"id", "name", "qty", "active"}
    assert "packs" not in client.get("/v1/items", headers=people["viewer"].headers).json()["data"][0]

    got = client.get(r.headers["location"], headers=people["viewer"].headers)
    changed = client.patch(
        r.headers["location"],
        json={"qty": "12", "active": False},
        headers=people["manager"].headers | {"If-Match": got.headers["etag"]},
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["qty"], changed.json()["active"]) == ("12.000", False)
    stale = client.patch(
        r.headers["location"],
        json={"name": "crate"},
        headers=people["manager"].headers | {"If-Match": got.headers["etag"]},
    )
    assert stale.status_code == 412
    actions = [a for (a,) in owner.execute("select action from audit_log order by id")]
    assert actions == ["item_pack.create", "item_pack.create", "item_pack.update"]


def test_pack_names_are_unique_per_item_whatever_the_case(
    client: TestClient,
    people: dict[str, Person],
    kitchen: dict[str, str],
    case: dict[str, Any],
    owner: psycopg.Connection,
) -> None:
    before = snapshot(owner)
    r = add_pack(client, people["manager"], kitchen["FLOUR"], "Case", "12")
    assert r.status_code == 409 and "case" in r.json()["detail"].lower()
    assert snapshot(owner) == before
    assert add_pack(client, people["manager"], kitchen["MILK"], "case", "12").status_code == 201  # another item
    bag = add_pack(client, people["manager"], kitchen["FLOUR"], "bag", "1").json()
    renamed = client.patch(
        f"/v1/items/{kitchen['FLOUR']}/packs/{bag['id']}", json={"name": "CASE"}, headers=people["manager"].headers
    )
    assert renamed.status_code == 409


def test_pack_of_unknown_or_other_item_is_404(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], case: dict[str, Any]
) -> None:
    manager = people["manager"].headers
    assert add_pack(client, people["manager"], OTHER_ITEM, "case", "6").status_code == 404
    assert client.get(f"/v1/items/{OTHER_ITEM}/packs", headers=manager).status_code == 404
    assert client.get(f"/v1/items/{kitchen['MILK']}/packs", headers=manager).json()["data"] == []
    other = f"/v1/items/{kitchen['MILK']}/packs/{case['id']}"
    assert client.get(other, headers=manager).status_code == 404
    assert client.patch(other, json={"qty": "1"}, headers=manager).status_code == 404
    assert (
        client.patch(f"/v1/items/{kitchen['FLOUR']}/packs/nope", json={"qty": "1"}, headers=manager).status_code == 404
    )


@pytest.mark.parametrize("qty", ["0", "0.000", "-1", "1.2345", "1e3", "123456789012"])
def test_pack_qty_is_positive_and_fits(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], qty: str
) -> None:
    r = add_pack(client, people["manager"], kitchen["FLOUR"], "case", qty)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.qty"


@pytest.mark.parametrize("role", ["counter", "viewer"])
def test_only_managers_write_packs(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], case: dict[str, Any], role: str
) -> None:
    assert add_pack(client, people[role], kitchen["FLOUR"], "bag", "1").status_code == 403
    path = f"/v1/items/{kitchen['FLOUR']}/packs/{case['id']}"
    assert client.patch(path, json={"qty": "1"}, headers=people[role].headers).status_code == 403
    assert client.get(path, headers=people[role].headers).status_code == 200


def test_pack_create_replays_with_an_idempotency_key(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    first = add_pack(client, people["manager"], kitchen["FLOUR"], "case", "6", **{"Idempotency-Key": "k1"})
    again = add_pack(client, people["manager"], kitchen["FLOUR"], "case", "6", **{"Idempotency-Key": "k1"})
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert rows(owner, "item_pack") == 1


def test_concurrent_creates_of_one_name_make_one_pack(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    with ThreadPoolExecutor(4) as pool:
        codes = sorted(
            pool.map(
                lambda n: add_pack(client, people["manager"], kitchen["FLOUR"], "case", str(n + 1)).status_code,
                range(4),
            )
        )
    assert codes == [201, 409, 409, 409]
    assert rows(owner, "item_pack") == 1


# --- counts in packs ---


def test_count_in_packs_stores_the_stock_unit_total_and_its_breakdown(
    client: TestClient,
    people: dict[str, Person],
    kitchen: dict[str, str],
    case: dict[str, Any],
    owner: psycopg.Connection,
) -> None:
    body = {
        "item_id": kitchen["FLOUR"],
        "location_id": kitchen["DRY"],
        "breakdown": [{"pack_id": case["id"], "qty": "3"}, {"pack_id": None, "qty": "2.5"}],
    }
    r = count(client, people["counter"], body)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["qty_on_hand"] == "20.500"
    assert created["breakdown"] == [
        {"pack_id": case["id"], "qty": "3", "pack_qty": "6.000"},
        {"pack_id": None, "qty": "2.5", "pack_qty": "1"},
    ]
    listed = client.get("/v1/counts", headers=people["viewer"].headers).json()["data"]
    assert listed == [created]
    level = owner.execute("select on_hand::text from stock_level").fetchone()
    assert level == ("20.500",)
    (details,) = owner.execute("select details from audit_log where action = 'count.create'").fetchone() or (None,)
    assert details["qty_on_hand"] == "20.500" and details["breakdown"][0]["pack_qty"] == "6.000"
    plain = count(
        client, people["counter"], {"item_id": kitchen["FLOUR"], "location_id": kitchen["DRY"], "qty_on_hand": "1"}
    )
    assert plain.status_code == 201 and plain.json()["breakdown"] is None


def test_a_changed_pack_size_leaves_stored_counts_alone(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], case: dict[str, Any]
) -> None:
    body = {
        "item_id": kitchen["FLOUR"],
        "location_id": kitchen["DRY"],
        "breakdown": [{"pack_id": case["id"], "qty": "2"}],
    }
    assert count(client, people["counter"], body).json()["qty_on_hand"] == "12.000"
    client.patch(
        f"/v1/items/{kitchen['FLOUR']}/packs/{case['id']}", json={"qty": "10"}, headers=people["manager"].headers
    )
    assert count(client, people["counter"], body).json()["qty_on_hand"] == "20.000"
    (old, new) = sorted(
        client.get("/v1/counts", headers=people["viewer"].headers).json()["data"], key=lambda c: c["qty_on_hand"]
    )
    assert (old["breakdown"][0]["pack_qty"], new["breakdown"][0]["pack_qty"]) == ("6.000", "10.000")


def _breakdown_refusals(
    case: dict[str, Any], inactive: str, foreign: str
) -> list[tuple[list[dict[str, Any]] | None, str | None, str]]:
    return [
        ([{"pack_id": case["id"], "qty": "1"}], "1", "$.breakdown"),  # both
        (None, None, "$.qty_on_hand"),  # neither
        ([{"pack_id": foreign, "qty": "1"}], None, "$.breakdown[0].pack_id"),
        ([{"pack_id": None, "qty": "1"}, {"pack_id": inactive, "qty": "1"}], None, "$.breakdown[1].pack_id"),
        ([{"pack_id": OTHER_ITEM, "qty": "1"}], None, "$.breakdown[0].pack_id"),  # no such pack
        ([{"pack_id": case["id"], "qty": "1"}, {"pack_id": case["id"], "qty": "2"}], None, "$.breakdown[1].pack_id"),
        ([], None, "$.breakdown"),
        ([{"pack_id": None, "qty": "1"}] * 11, None, "$.breakdown"),
        ([{"pack_id": None, "qty": "-1"}], None, "$.breakdown[0].qty"),
        ([{"pack_id": None, "qty": "1.0001"}], None, "$.breakdown[0].qty"),
        ([{"pack_id": None, "qty": "1", "extra": 1}], None, "$.breakdown[0].extra"),
    ]


def test_every_bad_breakdown_is_a_422_naming_its_path_and_writes_nothing(
    client: TestClient,
    people: dict[str, Person],
    kitchen: dict[str, str],
    case: dict[str, Any],
    owner: psycopg.Connection,
) -> None:
    inactive = add_pack(client, people["manager"], kitchen["FLOUR"], "crate", "4").json()["id"]
    client.patch(
        f"/v1/items/{kitchen['FLOUR']}/packs/{inactive}", json={"active": False}, headers=people["manager"].headers
    )
    foreign = add_pack(client, people["manager"], kitchen["MILK"], "crate", "4").json()["id"]
    before = snapshot(owner)
    for breakdown, qty, path in _breakdown_refusals(case, inactive, foreign):
        body: dict[str, Any] = {"item_id": kitchen["FLOUR"], "location_id": kitchen["DRY"]}
        body |= ({"breakdown": breakdown} if breakdown is not None else {}) | ({"qty_on_hand": qty} if qty else {})
        for key in ({}, {"Idempotency-Key": f"k-{path}-{len(breakdown or [])}"}):
            r = count(client, people["counter"], body, **key)
            assert r.status_code == 422, (path, r.text)
            assert r.json()["errors"][0]["path"] == path, r.text
        batch = client.post(
            "/v1/counts/batch",
            json={
                "counts": [{"item_id": kitchen["FLOUR"], "location_id": kitchen["DRY"], "qty_on_hand": "1"}] * 3
                + [body]
            },
            headers=people["counter"].headers,
        )
        assert batch.status_code == 422 and batch.json()["errors"][0]["path"] == path.replace("$", "$.counts[3]", 1), (
            batch.text
        )
    assert snapshot(owner) == before


@pytest.mark.parametrize(
    ("pack_qty", "qty", "total"),
    [
        ("0.5", "0.333", None),
        ("0.5", "0.334", "0.167"),
        ("0.001", "0.001", None),
        ("0.125", "0.008", "0.001"),
        ("99999999999.999", "1", "99999999999.999"),
        ("99999999999.999", "1.001", None),
        ("1000", "99999999.999", "99999999999.000"),
        ("0.333", "3", "0.999"),
    ],
)
def test_the_total_must_be_whole_thousandths_and_fit_the_column(
    client: TestClient,
    people: dict[str, Person],
    kitchen: dict[str, str],
    owner: psycopg.Connection,
    pack_qty: str,
    qty: str,
    total: str | None,
) -> None:
    pack = add_pack(client, people["manager"], kitchen["FLOUR"], "tub", pack_qty).json()
    body = {
        "item_id": kitchen["FLOUR"],
        "location_id": kitchen["DRY"],
        "breakdown": [{"pack_id": pack["id"], "qty": qty}],
    }
    r = count(client, people["counter"], body)
    if total is None:
        assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.breakdown", r.text
        assert rows(owner, "inventory_count") == 0
    else:
        assert r.status_code == 201 and r.json()["qty_on_hand"] == total, r.text


def test_breakdown_of_an_unknown_item_names_the_item(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], case: dict[str, Any]
) -> None:
    body = {"item_id": OTHER_ITEM, "location_id": kitchen["DRY"], "breakdown": [{"pack_id": case["id"], "qty": "1"}]}
    assert count(client, people["counter"], body).json()["errors"][0]["path"] == "$.item_id"
    body = {"item_id": kitchen["FLOUR"], "location_id": OTHER_ITEM, "breakdown": [{"pack_id": case["id"], "qty": "1"}]}
    assert count(client, people["counter"], body).json()["errors"][0]["path"] == "$.location_id"


def test_batch_mixes_stock_units_and_packs(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], case: dict[str, Any]
) -> None:
    counts = [
        {
            "item_id": kitchen["FLOUR"],
            "location_id": kitchen["DRY"],
            "breakdown": [{"pack_id": case["id"], "qty": "2"}],
        },
        {"item_id": kitchen["MILK"], "location_id": kitchen["COOL"], "qty_on_hand": "4"},
        {"item_id": kitchen["FLOUR"], "location_id": kitchen["COOL"], "breakdown": [{"pack_id": None, "qty": "0"}]},
    ]
    r = client.post("/v1/counts/batch", json={"counts": counts}, headers=people["counter"].headers)
    assert r.status_code == 201, r.text
    got = [(c["qty_on_hand"], c["breakdown"] is None) for c in r.json()["data"]]
    assert got == [("12.000", False), ("4.000", True), ("0.000", False)]


def test_count_in_packs_replays_with_an_idempotency_key(
    client: TestClient,
    people: dict[str, Person],
    kitchen: dict[str, str],
    case: dict[str, Any],
    owner: psycopg.Connection,
) -> None:
    body = {
        "item_id": kitchen["FLOUR"],
        "location_id": kitchen["DRY"],
        "breakdown": [{"pack_id": case["id"], "qty": "1"}],
    }
    first = count(client, people["counter"], body, **{"Idempotency-Key": "c1"})
    again = count(client, people["counter"], body, **{"Idempotency-Key": "c1"})
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert rows(owner, "inventory_count") == 1
