"""Waste (CONTRACT §15) over HTTP: who may post it, how it is stored and listed, refusals with nothing
written, idempotent replays, and the waste report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from starlette.testclient import TestClient

from tests.conftest import Person

REASONS = ("spoiled", "expired", "damaged", "overproduction", "returned", "other")


def waste(
    client: TestClient, person: Person, item: str, location: str, qty: str, reason: str = "spoiled", **extra: Any
) -> Any:
    body = {"item_id": item, "location_id": location, "qty": qty, "reason": reason} | extra
    headers = person.headers | extra.pop("headers", {})
    return client.post("/v1/waste", json={k: v for k, v in body.items() if k != "headers"}, headers=headers)


def snapshot(owner: psycopg.Connection) -> tuple[Any, ...]:
    row = owner.execute(
        "select (select count(*) from movement), (select count(*) from audit_log),"
        " (select coalesce(sum(on_hand), 0)::text from stock_level), (select count(*) from idempotency_key)"
    ).fetchone()
    assert row is not None
    return tuple(row)


@pytest.mark.parametrize("role", ["admin", "manager", "counter"])
def test_waste_is_a_negated_movement_with_its_reason(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection, role: str
) -> None:
    client.post(
        "/v1/counts",
        json={"item_id": kitchen["MILK"], "location_id": kitchen["COOL"], "qty_on_hand": "10"},
        headers=people["counter"].headers,
    )
    r = waste(client, people[role], kitchen["MILK"], kitchen["COOL"], "2.500", "expired", note="past date")
    assert r.status_code == 201, r.text
    m = r.json()
    assert (m["type"], m["qty"], m["reason"], m["note"], m["created_by"]) == (
        "waste",
        "-2.500",
        "expired",
        "past date",
        people[role].id,
    )
    assert owner.execute("select on_hand::text from stock_level where item_id = %s", (kitchen["MILK"],)).fetchone() == (
        "7.500",
    )
    listed = client.get("/v1/movements?type=waste", headers=people["viewer"].headers).json()["data"]
    assert [x["id"] for x in listed] == [m["id"]]
    (action, details) = owner.execute("select action, details from audit_log where entity = 'movement'").fetchone() or (
        None,
        None,
    )
    assert action == "movement.waste" and details["reason"] == "expired"


def test_other_movements_carry_a_null_reason(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str]
) -> None:
    r = client.post(
        "/v1/movements",
        json={"item_id": kitchen["FLOUR"], "location_id": kitchen["DRY"], "type": "receive", "qty": "1"},
        headers=people["manager"].headers,
    )
    assert r.status_code == 201 and r.json()["reason"] is None
    assert [m["reason"] for m in client.get("/v1/movements", headers=people["viewer"].headers).json()["data"]] == [None]
    assert client.get("/v1/movements?type=waste", headers=people["viewer"].headers).json()["data"] == []


def test_viewer_cannot_waste(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    before = snapshot(owner)
    assert waste(client, people["viewer"], kitchen["MILK"], kitchen["COOL"], "1").status_code == 403
    assert snapshot(owner) == before


def test_movements_refuse_waste(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    before = snapshot(owner)
    body = {"item_id": kitchen["FLOUR"], "location_id": kitchen["DRY"], "type": "waste", "qty": "1"}
    r = client.post("/v1/movements", json=body, headers=people["manager"].headers)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.type"
    assert "/v1/waste" in r.json()["detail"]
    assert snapshot(owner) == before


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"qty": "0"}, "$.qty"),
        ({"qty": "-1"}, "$.qty"),
        ({"qty": "1.0001"}, "$.qty"),
        ({"qty": 1}, "$.qty"),
        ({"reason": "stolen"}, "$.reason"),
        ({"reason": None}, "$.reason"),
        ({"item_id": "00000000-0000-4000-8000-0000000000ff"}, "$.item_id"),
        ({"location_id": "00000000-0000-4000-8000-0000000000ff"}, "$.location_id"),
        ({"note": "x" * 1001}, "$.note"),
        ({"type": "waste"}, "$.type"),
    ],
)
def test_bad_waste_is_a_422_naming_the_field_and_writes_nothing(
    client: TestClient,
    people: dict[str, Person],
    kitchen: dict[str, str],
    owner: psycopg.Connection,
    change: dict[str, Any],
    path: str,
) -> None:
    before = snapshot(owner)
    body = {"item_id": kitchen["MILK"], "location_id": kitchen["COOL"], "qty": "1", "reason": "spoiled"} | change
    r = client.post("/v1/waste", json=body, headers=people["counter"].headers)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == path, r.text
    assert snapshot(owner) == before


def test_missing_reason_is_a_422(client: TestClient, people: dict[str, Person], kitchen: dict[str, str]) -> None:
    body = {"item_id": kitchen["MILK"], "location_id": kitchen["COOL"], "qty": "1"}
    r = client.post("/v1/waste", json=body, headers=people["counter"].headers)
    assert r.status_code == 422 and "reason" in r.json()["detail"]


def test_inactive_location_refuses_waste(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    owner.execute("update location set active = false where id = %s", (kitchen["COOL"],))
    r = waste(client, people["counter"], kitchen["MILK"], kitchen["COOL"], "1")
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.location_id"


def test_waste_replays_with_an_idempotency_key(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    key = {"Idempotency-Key": "w-1"}
    first = waste(client, people["counter"], kitchen["MILK"], kitchen["COOL"], "1", headers=key)
    again = waste(client, people["counter"], kitchen["MILK"], kitchen["COOL"], "1", headers=key)
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert again.headers["idempotent-replayed"] == "true"
    other = waste(client, people["counter"], kitchen["MILK"], kitchen["COOL"], "2", headers=key)
    assert other.status_code == 422
    assert owner.execute("select count(*) from movement").fetchone() == (1,)


def test_waste_is_accepted_whatever_the_cold_chain(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    owner.execute("update item set storage_zone = 'freezer' where id = %s", (kitchen["MILK"],))
    assert waste(client, people["counter"], kitchen["MILK"], kitchen["COOL"], "1").status_code == 201


# --- the waste report ---


def _week_of_waste(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    owner.execute("update item set category = null where id = %s", (kitchen["MILK"],))
    for item, loc, qty, reason in (
        ("FLOUR", "DRY", "2", "spoiled"),
        ("FLOUR", "DRY", "1.5", "damaged"),
        ("MILK", "COOL", "3", "spoiled"),
        ("MILK", "COOL", "0.001", "expired"),
    ):
        assert waste(client, people["counter"], kitchen[item], kitchen[loc], qty, reason).status_code == 201


def test_waste_report_by_reason_item_and_category(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    _week_of_waste(client, people, kitchen, owner)
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    headers = people["manager"].headers

    def report(group_by: str) -> Any:
        r = client.get("/v1/reports/waste", params={"since": since, "group_by": group_by}, headers=headers)
        assert r.status_code == 200, r.text
        return r.json()

    # FLOUR 1.2500, MILK 0.9900
    by_reason = report("reason")
    assert by_reason["data"] == [
        {"key": "spoiled", "value": "5.4700000"},  # 2 * 1.25 + 3 * 0.99
        {"key": "damaged", "value": "1.8750000"},
        {"key": "expired", "value": "0.0009900"},
    ]
    assert by_reason["total_value"] == "7.3459900"
    by_item = report("item")
    assert by_item["data"] == [
        {"key": "FLOUR", "qty": "3.500", "value": "4.3750000"},
        {"key": "MILK", "qty": "3.001", "value": "2.9709900"},
    ]
    by_category = report("category")
    assert by_category["data"] == [{"key": "dry goods", "value": "4.3750000"}, {"key": None, "value": "2.9709900"}]
    assert by_item["total_value"] == by_category["total_value"] == "7.3459900"


def test_waste_report_period_and_uncosted_items(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    _week_of_waste(client, people, kitchen, owner)
    owner.execute("update item set unit_cost = null where id = %s", (kitchen["MILK"],))
    now = datetime.now(UTC)
    headers = people["admin"].headers
    r = client.get(
        "/v1/reports/waste",
        params={"since": (now - timedelta(days=1)).isoformat(), "group_by": "item"},
        headers=headers,
    )
    assert [(g["key"], g["value"]) for g in r.json()["data"]] == [("FLOUR", "4.3750000"), ("MILK", "0.0000000")]
    later = client.get(
        "/v1/reports/waste",
        params={"since": (now + timedelta(hours=1)).isoformat(), "until": (now + timedelta(hours=2)).isoformat()},
        headers=headers,
    )
    assert later.json() == {"data": [], "total_value": "0.0000000"}


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({}, "since"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "until"),
        ({"since": "2026-01-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "until"),
        ({"since": "2026-01-01T00:00:00Z", "group_by": "location"}, "group_by"),
    ],
)
def test_waste_report_refuses_bad_parameters(
    client: TestClient, people: dict[str, Person], params: dict[str, str], name: str
) -> None:
    r = client.get("/v1/reports/waste", params=params, headers=people["manager"].headers)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == name


@pytest.mark.parametrize("role", ["counter", "viewer"])
def test_waste_report_is_for_managers(client: TestClient, people: dict[str, Person], role: str) -> None:
    r = client.get("/v1/reports/waste", params={"since": "2026-01-01T00:00:00Z"}, headers=people[role].headers)
    assert r.status_code == 403
