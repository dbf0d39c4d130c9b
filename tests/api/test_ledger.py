"""Counts, movements and transfers over HTTP: roles, signs, all-or-nothing batches, lists."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from starlette.testclient import TestClient

from tests.conftest import Person


def move(client: TestClient, person: Person, item: str, location: str, kind: str, qty: str, **extra: Any) -> Any:
    body = {"item_id": item, "location_id": location, "type": kind, "qty": qty} | extra
    return client.post("/v1/movements", json=body, headers=person.headers)


def count(client: TestClient, person: Person, item: str, location: str, qty: str, **extra: Any) -> Any:
    body = {"item_id": item, "location_id": location, "qty_on_hand": qty} | extra
    return client.post("/v1/counts", json=body, headers=person.headers)


def ledger_sum(owner: psycopg.Connection, item: str, location: str) -> Any:
    row = owner.execute(
        "select coalesce(sum(qty), 0)::text from movement where item_id = %s and location_id = %s", (item, location)
    ).fetchone()
    assert row is not None
    return row[0]


def test_counter_counts_as_themselves(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    r = count(client, people["counter"], kitchen["FLOUR"], kitchen["DRY"], "12.345")
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["qty_on_hand"], body["counted_by"]) == ("12.345", people["counter"].id)
    assert owner.execute("select action from audit_log").fetchall() == [("count.create",)]


@pytest.mark.parametrize("role", ["viewer"])
def test_viewers_cannot_count(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], role: str
) -> None:
    assert count(client, people[role], kitchen["FLOUR"], kitchen["DRY"], "1").status_code == 403


@pytest.mark.parametrize("role", ["counter", "viewer"])
def test_only_managers_post_movements_and_transfers(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], role: str
) -> None:
    assert move(client, people[role], kitchen["FLOUR"], kitchen["DRY"], "receive", "1").status_code == 403
    body = {
        "item_id": kitchen["FLOUR"],
        "from_location_id": kitchen["DRY"],
        "to_location_id": kitchen["COOL"],
        "qty": "1",
    }
    assert client.post("/v1/transfers", json=body, headers=people[role].headers).status_code == 403


def test_stored_qty_is_the_signed_change(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    m, item, dry = people["manager"], kitchen["FLOUR"], kitchen["DRY"]
    assert move(client, m, item, dry, "receive", "10.5").json()["qty"] == "10.500"
    assert move(client, m, item, dry, "use", "0.001").json()["qty"] == "-0.001"
    assert move(client, m, item, dry, "adjust", "-1.25").json()["qty"] == "-1.250"
    assert (
        move(client, m, item, dry, "adjust", "0.75", note="found a bag", reference="INV-7").json()["note"]
        == "found a bag"
    )
    assert ledger_sum(owner, item, dry) == "9.999"


@pytest.mark.parametrize(
    ("kind", "qty", "path"),
    [
        ("receive", "0", "$.qty"),
        ("receive", "-1", "$.qty"),
        ("use", "-2", "$.qty"),
        ("use", "0.000", "$.qty"),
        ("adjust", "0", "$.qty"),
        ("adjust", "-0.000", "$.qty"),
        ("transfer", "1", "$.type"),  # transfers go through /v1/transfers
        ("receive", "0.0001", "$.qty"),
        ("receive", "100000000000", "$.qty"),
        ("receive", 1, "$.qty"),
    ],
)
def test_bad_movement_is_422_and_writes_nothing(
    client: TestClient,
    people: dict[str, Person],
    kitchen: dict[str, str],
    owner: psycopg.Connection,
    kind: str,
    qty: Any,
    path: str,
) -> None:
    r = move(client, people["manager"], kitchen["FLOUR"], kitchen["DRY"], kind, qty)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["path"] == path
    assert owner.execute("select count(*) from movement").fetchone() == (0,)
    assert owner.execute("select count(*) from audit_log").fetchone() == (0,)


def test_unknown_or_inactive_item_or_location_is_422_naming_it(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    m = people["manager"]
    ghost = "00000000-0000-4000-8000-00000000dead"
    assert move(client, m, ghost, kitchen["DRY"], "receive", "1").json()["errors"][0]["path"] == "$.item_id"
    owner.execute("update location set active = false where id = %s", (kitchen["COOL"],))
    r = move(client, m, kitchen["FLOUR"], kitchen["COOL"], "receive", "1")
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.location_id"


def test_transfer_writes_two_rows_in_one_transaction(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    m, item = people["manager"], kitchen["MILK"]
    body = {"item_id": item, "from_location_id": kitchen["COOL"], "to_location_id": kitchen["DRY"], "qty": "2.5"}
    r = client.post("/v1/transfers", json=body, headers=m.headers)
    assert r.status_code == 201, r.text
    pair = r.json()
    assert (pair["out"]["qty"], pair["out"]["location_id"]) == ("-2.500", kitchen["COOL"])
    assert (pair["in"]["qty"], pair["in"]["location_id"]) == ("2.500", kitchen["DRY"])
    assert pair["out"]["type"] == pair["in"]["type"] == "transfer"
    assert ledger_sum(owner, item, kitchen["COOL"]) == "-2.500" and ledger_sum(owner, item, kitchen["DRY"]) == "2.500"
    assert owner.execute("select count(*) from audit_log where action = 'transfer.create'").fetchone() == (1,)


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"to_location_id": "FROM"}, "$.to_location_id"),
        ({"qty": "0"}, "$.qty"),
        ({"qty": "-1"}, "$.qty"),
        ({"to_location_id": "00000000-0000-4000-8000-00000000dead"}, "$.to_location_id"),
    ],
)
def test_bad_transfer_writes_neither_row(
    client: TestClient,
    people: dict[str, Person],
    kitchen: dict[str, str],
    owner: psycopg.Connection,
    change: dict[str, str],
    path: str,
) -> None:
    body = {
        "item_id": kitchen["MILK"],
        "from_location_id": kitchen["COOL"],
        "to_location_id": kitchen["DRY"],
        "qty": "1",
    }
    if change.get("to_location_id") == "FROM":
        change = {"to_location_id": kitchen["COOL"]}
    r = client.post("/v1/transfers", json=body | change, headers=people["manager"].headers)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == path
    assert owner.execute("select count(*) from movement").fetchone() == (0,)


def test_count_batch_is_all_or_nothing_and_names_the_bad_row(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    good = {"item_id": kitchen["FLOUR"], "location_id": kitchen["DRY"], "qty_on_hand": "4"}
    counts = [good] * 3 + [good | {"location_id": "00000000-0000-4000-8000-00000000dead"}] + [good]
    r = client.post("/v1/counts/batch", json={"counts": counts}, headers=people["counter"].headers)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.counts[3].location_id"
    counts[3] = good | {"qty_on_hand": "-1"}
    r = client.post("/v1/counts/batch", json={"counts": counts}, headers=people["counter"].headers)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.counts[3].qty_on_hand"
    assert owner.execute("select count(*) from inventory_count").fetchone() == (0,)
    counts[3] = good
    r = client.post("/v1/counts/batch", json={"counts": counts}, headers=people["counter"].headers)
    assert r.status_code == 201 and len(r.json()["data"]) == 5
    assert owner.execute("select count(*) from inventory_count").fetchone() == (5,)
    assert owner.execute("select count(*) from audit_log").fetchone() == (1,)


def test_count_batch_limits(client: TestClient, people: dict[str, Person], kitchen: dict[str, str]) -> None:
    good = {"item_id": kitchen["FLOUR"], "location_id": kitchen["DRY"], "qty_on_hand": "4"}
    h = people["counter"].headers
    assert client.post("/v1/counts/batch", json={"counts": []}, headers=h).status_code == 422
    assert client.post("/v1/counts/batch", json={"counts": [good] * 501}, headers=h).status_code == 422
    assert client.post("/v1/counts/batch", json={"counts": [good] * 500}, headers=h).status_code == 201


def test_counted_at_must_have_an_offset_and_not_be_in_the_future(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str]
) -> None:
    c, item, dry = people["counter"], kitchen["FLOUR"], kitchen["DRY"]
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert count(client, c, item, dry, "1", counted_at=later).json()["errors"][0]["path"] == "$.counted_at"
    assert count(client, c, item, dry, "1", counted_at="2026-01-01T08:00:00").status_code == 422
    r = count(client, c, item, dry, "1", counted_at="2026-01-01T08:00:00+02:00")
    assert r.status_code == 201 and r.json()["counted_at"] == "2026-01-01T06:00:00Z"


def test_twenty_concurrent_movements_all_land(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    m = people["manager"]
    with ThreadPoolExecutor(8) as pool:
        results = list(
            pool.map(lambda n: move(client, m, kitchen["FLOUR"], kitchen["DRY"], "receive", f"{n}.001"), range(1, 21))
        )
    assert [r.status_code for r in results] == [201] * 20
    assert ledger_sum(owner, kitchen["FLOUR"], kitchen["DRY"]) == str(sum(range(1, 21))) + ".020"


def test_lists_walk_newest_first_without_repeats_while_rows_are_added(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str]
) -> None:
    m = people["manager"]
    for n in range(7):
        move(client, m, kitchen["FLOUR"], kitchen["DRY"], "receive", f"{n + 1}")
    seen: list[str] = []
    url = "/v1/movements?limit=3"
    while url:
        body = client.get(url, headers=people["viewer"].headers).json()
        seen += [mv["qty"] for mv in body["data"]]
        move(client, m, kitchen["MILK"], kitchen["DRY"], "receive", "99")  # newer rows never enter the walk
        url = f"/v1/movements?limit=3&cursor={body['next_cursor']}" if body["next_cursor"] else ""
    assert seen == [f"{n}.000" for n in range(7, 0, -1)]


def test_list_filters(client: TestClient, people: dict[str, Person], kitchen: dict[str, str]) -> None:
    m, v = people["manager"], people["viewer"].headers
    move(client, m, kitchen["FLOUR"], kitchen["DRY"], "receive", "5")
    move(client, m, kitchen["MILK"], kitchen["COOL"], "use", "1")
    count(client, m, kitchen["MILK"], kitchen["COOL"], "3")
    assert [x["type"] for x in client.get("/v1/movements?type=use", headers=v).json()["data"]] == ["use"]
    r = client.get(f"/v1/movements?item_id={kitchen['FLOUR']}&location_id={kitchen['DRY']}", headers=v).json()
    assert [x["qty"] for x in r["data"]] == ["5.000"]
    assert len(client.get(f"/v1/counts?item_id={kitchen['MILK']}", headers=v).json()["data"]) == 1
    assert client.get("/v1/counts?since=2999-01-01T00:00:00Z", headers=v).json()["data"] == []
    for bad in ("type=teleport", "item_id=x", "since=soon", "limit=0", "cursor=x"):
        assert client.get(f"/v1/movements?{bad}", headers=v).status_code == 422
