"""The cold chain (CONTRACT §15) over HTTP: item.storage_zone, and stock coming into a location of
another zone refused (receive, PO receipt, transfer destination) naming the field and both zones,
with nothing written; counts, uses, adjustments and transfers out always accepted."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from starlette.testclient import TestClient

from neuropilot import coldchain
from tests.conftest import Person


@pytest.fixture
def peas(client: TestClient, people: dict[str, Person], owner: psycopg.Connection, kitchen: dict[str, str]) -> str:
    """A freezer item (via the API) and a freezer location FRZ besides the kitchen's DRY and COOL."""
    row = owner.execute(
        "insert into location (code, name, temp_zone) values ('FRZ', 'Freezer', 'freezer') returning id"
    ).fetchone()
    assert row is not None
    kitchen["FRZ"] = str(row[0])
    body = {"item_number": "PEAS", "name": "Frozen peas", "unit": "kg", "storage_zone": "freezer"}
    r = client.post("/v1/items", json=body, headers=people["manager"].headers)
    assert r.status_code == 201 and r.json()["storage_zone"] == "freezer", r.text
    item_id: str = r.json()["id"]
    return item_id


def snapshot(owner: psycopg.Connection) -> tuple[Any, ...]:
    row = owner.execute(
        "select (select count(*) from movement), (select count(*) from audit_log),"
        " (select count(*) from stock_level), (select count(*) from purchase_order_line where received_qty > 0)"
    ).fetchone()
    assert row is not None
    return tuple(row)


def post_move(client: TestClient, person: Person, item: str, location: str, kind: str, qty: str = "1") -> Any:
    body = {"item_id": item, "location_id": location, "type": kind, "qty": qty}
    return client.post("/v1/movements", json=body, headers=person.headers)


def test_storage_zone_on_items(
    client: TestClient, people: dict[str, Person], peas: str, kitchen: dict[str, str]
) -> None:
    got = client.get(f"/v1/items/{peas}", headers=people["viewer"].headers).json()
    assert got["storage_zone"] == "freezer"
    assert client.get(f"/v1/items/{kitchen['FLOUR']}", headers=people["viewer"].headers).json()["storage_zone"] is None
    r = client.patch(f"/v1/items/{peas}", json={"storage_zone": None}, headers=people["manager"].headers)
    assert r.status_code == 200 and r.json()["storage_zone"] is None
    bad = client.patch(f"/v1/items/{peas}", json={"storage_zone": "fridge"}, headers=people["manager"].headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["path"] == "$.storage_zone"
    listed = client.get("/v1/items", params={"q": "PEAS"}, headers=people["viewer"].headers).json()["data"]
    assert [i["storage_zone"] for i in listed] == [None]


def test_receive_into_the_wrong_zone_is_refused(
    client: TestClient, people: dict[str, Person], peas: str, kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    before = snapshot(owner)
    r = post_move(client, people["manager"], peas, kitchen["COOL"], "receive")
    assert r.status_code == 422
    assert r.json()["errors"][0]["path"] == "$.location_id"
    assert r.json()["errors"][0]["message"] == "Frozen peas is kept in the freezer; COOL is a cooler location"
    dry = post_move(client, people["manager"], peas, kitchen["DRY"], "receive").json()
    assert dry["errors"][0]["message"] == "Frozen peas is kept in the freezer; DRY is a dry location"
    assert snapshot(owner) == before
    assert post_move(client, people["manager"], peas, kitchen["FRZ"], "receive").status_code == 201
    assert (
        post_move(client, people["manager"], kitchen["FLOUR"], kitchen["FRZ"], "receive").status_code == 201
    )  # anywhere


def test_counts_uses_adjustments_and_waste_are_always_accepted(
    client: TestClient, people: dict[str, Person], peas: str, kitchen: dict[str, str]
) -> None:
    manager = people["manager"]
    count = {"item_id": peas, "location_id": kitchen["COOL"], "qty_on_hand": "5"}
    assert client.post("/v1/counts", json=count, headers=manager.headers).status_code == 201
    assert post_move(client, manager, peas, kitchen["COOL"], "use").status_code == 201
    assert post_move(client, manager, peas, kitchen["COOL"], "adjust", "2").status_code == 201
    body = {"item_id": peas, "location_id": kitchen["COOL"], "qty": "1", "reason": "spoiled"}
    assert client.post("/v1/waste", json=body, headers=manager.headers).status_code == 201


def test_transfer_destination_must_match_the_zone(
    client: TestClient, people: dict[str, Person], peas: str, kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    headers = people["manager"].headers
    into_cooler = {"item_id": peas, "from_location_id": kitchen["FRZ"], "to_location_id": kitchen["COOL"], "qty": "1"}
    before = snapshot(owner)
    r = client.post("/v1/transfers", json=into_cooler, headers=headers)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.to_location_id"
    assert "freezer" in r.json()["detail"] and "cooler" in r.json()["detail"]
    assert snapshot(owner) == before
    out_of_cooler = into_cooler | {"from_location_id": kitchen["COOL"], "to_location_id": kitchen["FRZ"]}
    assert client.post("/v1/transfers", json=out_of_cooler, headers=headers).status_code == 201


def test_po_receipt_into_the_wrong_zone_is_refused(
    client: TestClient, people: dict[str, Person], peas: str, kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    headers = people["manager"].headers
    lines = [
        {"item_id": kitchen["FLOUR"], "req_qty": "5", "unit_price": "1"},
        {"item_id": peas, "req_qty": "5", "unit_price": "2"},
    ]
    order = client.post("/v1/purchase-orders", json={"supplier": "Frost", "lines": lines}, headers=headers).json()
    client.post(f"/v1/purchase-orders/{order['id']}/submit", headers=headers)
    receipt = {
        "location_id": kitchen["COOL"],
        "lines": [{"line_id": line["id"], "qty": "1"} for line in order["lines"]],
    }
    before = snapshot(owner)
    r = client.post(f"/v1/purchase-orders/{order['id']}/receive", json=receipt, headers=headers)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.location_id", r.text
    assert "Frozen peas is kept in the freezer" in r.json()["detail"]
    assert snapshot(owner) == before
    receipt["location_id"] = kitchen["FRZ"]
    assert client.post(f"/v1/purchase-orders/{order['id']}/receive", json=receipt, headers=headers).status_code == 200


def test_the_database_refuses_what_the_api_would(owner: psycopg.Connection, peas: str, kitchen: dict[str, str]) -> None:
    """The trigger: a DBA's insert, or a request racing a change of storage_zone, is refused too."""
    with pytest.raises(psycopg.errors.CheckViolation) as refused:
        owner.execute(
            "insert into movement (item_id, location_id, type, qty) values (%s, %s, 'receive', 1)",
            (peas, kitchen["COOL"]),
        )
    assert refused.value.diag.constraint_name == "movement_cold_chain"
    assert refused.value.diag.message_primary == "Frozen peas is kept in the freezer; COOL is a cooler location"


def test_a_trigger_refusal_is_the_same_422(
    client: TestClient,
    people: dict[str, Person],
    peas: str,
    kitchen: dict[str, str],
    owner: psycopg.Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the API's own check out of the way (as when a request races a change of storage_zone),
    the trigger still refuses: the same 422 naming both zones, and nothing written."""

    async def skipped(*_: Any) -> None:
        return None

    monkeypatch.setattr(coldchain, "require_zones", skipped)
    before = snapshot(owner)
    r = post_move(client, people["manager"], peas, kitchen["COOL"], "receive")
    assert r.status_code == 422, r.text
    assert r.json()["detail"] == "Frozen peas is kept in the freezer; COOL is a cooler location"
    assert snapshot(owner) == before
