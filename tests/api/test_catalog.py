"""Items and locations over HTTP: roles, duplicates, If-Match, deletes that would destroy history."""

from __future__ import annotations

import base64

import psycopg
import pytest
from starlette.testclient import TestClient

from neuropilot import validation
from tests.conftest import Person

ITEM = {
    "item_number": "SALT-1",
    "name": "Sea salt",
    "unit": "kg",
    "category": "dry goods",
    "min_qty": "2.5",
    "max_qty": "10",
    "unit_cost": "0.4500",
}
LOCATION = {"code": "FRZ-2", "name": "Chest freezer", "temp_zone": "freezer"}


@pytest.mark.parametrize("role", ["counter", "viewer"])
def test_counters_and_viewers_read_but_cannot_change_the_catalog(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], role: str
) -> None:
    h = people[role].headers
    assert client.get("/v1/items", headers=h).status_code == 200
    assert client.get(f"/v1/locations/{kitchen['DRY']}", headers=h).status_code == 200
    assert client.post("/v1/items", json=ITEM, headers=h).status_code == 403
    assert client.patch(f"/v1/items/{kitchen['FLOUR']}", json={"name": "x"}, headers=h).status_code == 403
    assert client.delete(f"/v1/items/{kitchen['FLOUR']}", headers=h).status_code == 403
    assert client.post("/v1/locations", json=LOCATION, headers=h).status_code == 403
    assert client.patch(f"/v1/locations/{kitchen['DRY']}", json={"name": "x"}, headers=h).status_code == 403


def test_manager_creates_an_item_with_exact_decimals(client: TestClient, people: dict[str, Person]) -> None:
    r = client.post("/v1/items", json=ITEM, headers=people["manager"].headers)
    assert r.status_code == 201, r.text
    item = r.json()
    assert (item["min_qty"], item["max_qty"], item["unit_cost"]) == ("2.500", "10.000", "0.4500")
    assert r.headers["location"] == f"/v1/items/{item['id']}"
    got = client.get(r.headers["location"], headers=people["viewer"].headers)
    # GET adds the item's packs (CONTRACT §11); the ETag stays the item's own
    assert got.json() == item | {"packs": []} and got.headers["etag"] == r.headers["etag"]


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"min_qty": 2.5}, "$.min_qty"),  # a float, not a decimal string
        ({"min_qty": "1.0005"}, "$.min_qty"),  # finer than numeric(12,3): would be rounded
        ({"unit_cost": "1.00001"}, "$.unit_cost"),
        ({"min_qty": "-1"}, "$.min_qty"),
        ({"min_qty": "1e3"}, "$.min_qty"),
        ({"unit_cost": "NaN"}, "$.unit_cost"),
        ({"min_qty": "1234567890"}, "$.min_qty"),  # beyond numeric(12,3)
        ({"item_number": " padded "}, "$.item_number"),
        ({"item_number": ""}, "$.item_number"),
        ({"unit": "x" * 21}, "$.unit"),
        ({"active": "yes"}, "$.active"),
    ],
)
def test_invalid_item_is_422_naming_the_field(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection, change: dict[str, object], path: str
) -> None:
    r = client.post("/v1/items", json=ITEM | change, headers=people["manager"].headers)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["path"] == path
    assert owner.execute("select count(*) from item").fetchone() == (0,)


def test_duplicate_item_number_and_location_code_are_409(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str]
) -> None:
    h = people["admin"].headers
    assert client.post("/v1/items", json=ITEM | {"item_number": "FLOUR"}, headers=h).status_code == 409
    assert client.post("/v1/locations", json=LOCATION | {"code": "DRY"}, headers=h).status_code == 409
    r = client.patch(f"/v1/items/{kitchen['MILK']}", json={"item_number": "FLOUR"}, headers=h)
    assert r.status_code == 409


def test_temp_zone_must_be_dry_cooler_or_freezer(client: TestClient, people: dict[str, Person]) -> None:
    r = client.post("/v1/locations", json=LOCATION | {"temp_zone": "attic"}, headers=people["admin"].headers)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.temp_zone"


def test_patch_changes_only_what_it_names_and_honours_if_match(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    h, url = people["manager"].headers, f"/v1/items/{kitchen['MILK']}"
    tag = client.get(url, headers=h).headers["etag"]
    r = client.patch(url, json={"unit_cost": "1.0500", "category": None}, headers=h | {"If-Match": tag})
    assert r.status_code == 200
    assert (r.json()["unit_cost"], r.json()["category"], r.json()["name"]) == ("1.0500", None, "Milk")
    assert client.patch(url, json={"name": "Whole milk"}, headers=h | {"If-Match": tag}).status_code == 412
    assert client.get(url, headers=h).json()["name"] == "Milk"
    (details,) = owner.execute("select details from audit_log where action = 'item.update'").fetchone()  # type: ignore[misc]
    assert details == {
        "before": {"unit_cost": "0.9900", "category": "dairy"},
        "after": {"unit_cost": "1.0500", "category": None},
    }


def test_location_patch_deactivates(client: TestClient, people: dict[str, Person], kitchen: dict[str, str]) -> None:
    r = client.patch(f"/v1/locations/{kitchen['COOL']}", json={"active": False}, headers=people["admin"].headers)
    assert r.status_code == 200 and r.json()["active"] is False
    listed = client.get("/v1/locations?active=true", headers=people["viewer"].headers).json()["data"]
    assert [loc["code"] for loc in listed] == ["DRY"]


def test_item_with_history_cannot_be_deleted_but_can_be_deactivated(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    h = people["manager"].headers
    r = client.post(
        "/v1/movements",
        json={"item_id": kitchen["FLOUR"], "location_id": kitchen["DRY"], "type": "receive", "qty": "3"},
        headers=h,
    )
    assert r.status_code == 201
    r = client.delete(f"/v1/items/{kitchen['FLOUR']}", headers=h)
    assert r.status_code == 409
    assert owner.execute("select count(*) from item where id = %s", (kitchen["FLOUR"],)).fetchone() == (1,)
    assert owner.execute("select count(*) from audit_log where action = 'item.delete'").fetchone() == (0,)
    assert client.patch(f"/v1/items/{kitchen['FLOUR']}", json={"active": False}, headers=h).json()["active"] is False
    assert client.delete(f"/v1/items/{kitchen['MILK']}", headers=h).status_code == 204  # no history
    assert client.get(f"/v1/items/{kitchen['MILK']}", headers=h).status_code == 404


def test_item_list_filters_and_pages(client: TestClient, people: dict[str, Person], owner: psycopg.Connection) -> None:
    for n in range(12):
        owner.execute(
            "insert into item (item_number, name, unit, category, active) values (%s, %s, 'ea', %s, %s)",
            (f"ITM-{n:02d}", f"Thing {n}" if n % 2 else f"Widget {n}", "a" if n < 8 else "b", n != 3),
        )
    h = people["viewer"].headers

    def walk(query: str) -> list[str]:
        seen, url = [], f"/v1/items?{query}&limit=5"
        while url:
            body = client.get(url, headers=h).json()
            seen += [i["item_number"] for i in body["data"]]
            url = f"/v1/items?{query}&limit=5&cursor={body['next_cursor']}" if body["next_cursor"] else ""
        return seen

    assert walk("category=a") == [f"ITM-{n:02d}" for n in range(8)]
    assert walk("category=b") == [f"ITM-{n:02d}" for n in range(8, 12)]
    assert walk("q=widget") == [f"ITM-{n:02d}" for n in range(0, 12, 2)]
    assert walk("q=ITM-1") == ["ITM-10", "ITM-11"]
    assert walk("active=false") == ["ITM-03"]
    assert walk("category=a&q=thing&active=true") == ["ITM-01", "ITM-05", "ITM-07"]
    assert walk("q=%25") == []  # a literal %, not a wildcard


def test_malformed_or_unknown_ids_are_404(client: TestClient, people: dict[str, Person]) -> None:
    h = people["admin"].headers
    for url in ("/v1/items/nope", "/v1/items/00000000-0000-4000-8000-000000000999", "/v1/locations/nope"):
        assert client.get(url, headers=h).status_code == 404
    assert client.delete("/v1/items/00000000-0000-4000-8000-000000000999", headers=h).status_code == 404


@pytest.mark.parametrize("cursor", ["WzFd", "W251bGxd", "WyJ4Il0", "WyIyMDI2LTAxLTAxIiwibm90LWEtdXVpZCJd", "e30"])
def test_forged_cursors_are_422_never_500(client: TestClient, people: dict[str, Person], cursor: str) -> None:
    h = people["manager"].headers
    for path in ("/v1/items", "/v1/locations", "/v1/movements", "/v1/counts", "/v1/purchase-orders", "/v1/stock"):
        r = client.get(f"{path}?cursor={cursor}", headers=h)
        assert r.status_code == 422, (path, cursor, r.status_code)  # a cursor the API did not sign
        assert r.json()["errors"][0]["path"] == "cursor"


def test_an_edited_or_foreign_cursor_is_422(client: TestClient, people: dict[str, Person]) -> None:
    """A cursor is signed: a real one works, one with its position or its signature changed does not."""
    h = people["manager"].headers
    for n in range(3):
        assert (
            client.post("/v1/locations", json={"code": f"L{n}", "name": "L", "temp_zone": "dry"}, headers=h).status_code
            == 201
        )
    cursor = client.get("/v1/locations?limit=1", headers=h).json()["next_cursor"]
    assert client.get(f"/v1/locations?limit=1&cursor={cursor}", headers=h).status_code == 200
    payload, _, tag = cursor.partition(".")
    edited = base64.urlsafe_b64encode(b'["A", "00000000-0000-4000-8000-000000000001"]').rstrip(b"=").decode()
    for bad in (f"{edited}.{tag}", payload, f"{payload}.", f"{payload}.{tag[:-2]}AA", f"{payload}.{tag}.x"):
        r = client.get(f"/v1/locations?cursor={bad}", headers=h)
        assert r.status_code == 422, (bad, r.status_code)


def test_cursor_signatures_are_hmac_sha256_under_the_derived_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pinned bytes: a cursor from an older worker (a rolling deploy) must still verify. After a rotation
    the first key signs and every key verifies."""
    monkeypatch.setattr(validation, "_CURSOR_KEYS", validation._CURSOR_KEYS)  # restored after the test
    old, new = b"e" * 64, b"f" * 64
    validation.configure_cursors((old,))
    cursor = validation.encode_cursor(["ITEM-00050"])
    assert cursor == "WyJJVEVNLTAwMDUwIl0.obSvkEF3Qzq-bIoEEHj3JA"  # hmac.digest(derived key, payload)[:16]
    assert validation.encode_cursor(["ITEM-00050"]) == cursor  # the keyed HMAC is copied, never consumed
    validation.configure_cursors((new, old))  # rotated: the new key signs, both verify
    assert validation._cursor_payload(cursor) == b'["ITEM-00050"]'
    assert validation.encode_cursor(["ITEM-00050"]) != cursor
    validation.configure_cursors((new,))
    assert validation._cursor_payload(cursor) is None
