"""Huge and odd numbers, wherever the API reads one, are a 4xx naming what was wrong, never a 500.

CPython refuses int() of more than 4300 digits with ValueError; every place that reads a number from
text counts the digits first (validation.parse_int), and msgspec refuses out-of-range JSON numbers itself.
"""

from __future__ import annotations

import base64

import msgspec
import psycopg
import pytest
from starlette.testclient import TestClient

from neuropilot.params import CURSOR, LIMIT
from neuropilot.routes import ROUTES
from neuropilot.validation import parse_int
from tests.conftest import Person

BIG = "9" * 5000
SINCE = "2025-01-01T00:00:00Z"
LISTS = [op for op in ROUTES if LIMIT in op.query]
CURSORED = [op for op in ROUTES if CURSOR in op.query]


def required(op: object) -> dict[str, str]:
    return {p.name: SINCE for p in op.query if p.required}  # type: ignore[attr-defined]


def existing(client: TestClient, admin: Person, path: str) -> str:
    """path with its {id} naming a row that exists (the lists of one supplier's items and prices, an item's packs)."""
    if "{id}" not in path:
        return path
    if path.startswith("/v1/count-sessions/"):
        body = {"code": "N-1", "name": "N", "temp_zone": "dry"}
        location = client.post("/v1/locations", json=body, headers=admin.headers).json()["id"]
        session = client.post("/v1/count-sessions", json={"location_ids": [location]}, headers=admin.headers)
        return path.replace("{id}", session.json()["id"])
    supplier = client.post("/v1/suppliers", json={"name": "Numbers Ltd"}, headers=admin.headers).json()["id"]
    if path.startswith("/v1/suppliers/"):
        return path.replace("{id}", supplier)
    item = client.post(
        "/v1/items", json={"item_number": "N-1", "name": "N", "unit": "kg"}, headers=admin.headers
    ).json()["id"]
    if path.startswith("/v1/items/"):
        return path.replace("{id}", item)
    body = {"item_id": item, "price": "1"}
    supplier_item = client.post(f"/v1/suppliers/{supplier}/items", json=body, headers=admin.headers).json()["id"]
    return path.replace("{id}", supplier_item)


@pytest.mark.parametrize("op", LISTS, ids=[op.path for op in LISTS])
@pytest.mark.parametrize("limit", [BIG, "-" + BIG, "1" + "0" * 4400, "0" * 5000 + "1", "²", "1_0", " 5", "+5"])
def test_a_limit_that_is_not_a_small_integer_is_422(
    client: TestClient, people: dict[str, Person], op: object, limit: str
) -> None:
    if limit == "0" * 5000 + "1":  # leading zeros do not make a number big: this is 1
        path = existing(client, people["admin"], op.path)  # type: ignore[attr-defined]
        r = client.get(path, params={"limit": limit, **required(op)}, headers=people["admin"].headers)  # type: ignore[attr-defined]
        assert r.status_code == 200, r.text
        assert len(r.json()["data"]) <= 1
        return
    r = client.get(
        existing(client, people["admin"], op.path),
        params={"limit": limit, **required(op)},
        headers=people["admin"].headers,
    )
    assert r.status_code == 422, (op.path, r.status_code, r.text[:200])  # type: ignore[attr-defined]
    assert r.json()["errors"][0]["path"] == "limit"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.mark.parametrize("op", CURSORED, ids=[op.path for op in CURSORED])
def test_cursors_holding_huge_numbers_are_422(client: TestClient, people: dict[str, Person], op: object) -> None:
    listed = existing(client, people["admin"], op.path)  # type: ignore[attr-defined]
    for values in (f"[{BIG}]", f"[{BIG}, {BIG}]", f'["{BIG}", "{BIG}"]', "[1e999999, 1]", "[18446744073709551616]"):
        cursor = b64(values.encode())
        r = client.get(listed, params={"cursor": cursor, **required(op)}, headers=people["admin"].headers)
        assert r.status_code == 422, (op.path, values[:30], r.status_code)  # type: ignore[attr-defined]
        assert r.json()["errors"][0]["path"] == "cursor"


def test_a_huge_integer_in_a_json_body_is_422(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    h = people["manager"].headers
    base = {"item_id": kitchen["FLOUR"], "location_id": kitchen["DRY"]}
    for qty in (BIG, f'"{BIG}"', f'"{BIG}.5"', f'"0.{BIG}"', "1e999999", f"-{BIG}"):
        body = msgspec.json.encode(base)[:-1] + b', "qty": ' + qty.encode() + b"}"
        r = client.post("/v1/counts", content=body, headers=h | {"Content-Type": "application/json"})
        assert r.status_code == 422, (qty[:20], r.status_code, r.text[:200])
        assert r.json()["errors"][0]["path"] == "$.qty"
    assert owner.execute("select count(*) from inventory_count").fetchone() == (0,)


def test_a_huge_integer_where_the_body_wants_a_number_is_422(client: TestClient, people: dict[str, Person]) -> None:
    """PATCH bodies, list fields, nested lines: msgspec refuses the number in place, at its path."""
    h = people["manager"].headers | {"Content-Type": "application/json"}
    body = b'{"supplier": "S", "lines": [{"item_id": "00000000-0000-4000-8000-000000000001", "req_qty": ' + BIG.encode()
    r = client.post("/v1/purchase-orders", content=body + b', "unit_price": "1"}]}', headers=h)
    assert r.status_code == 422, r.text[:200]
    assert r.json()["errors"][0]["path"] == "$.lines[0].req_qty"


def test_a_huge_content_length_is_refused_unread(client: TestClient, people: dict[str, Person]) -> None:
    h = people["manager"].headers | {"Content-Type": "application/json"}
    r = client.post("/v1/counts", content=b"{}", headers=h | {"Content-Length": BIG})
    assert r.status_code == 413, r.text[:200]
    r = client.post("/v1/counts", content=b"{}", headers=h | {"Content-Length": "1²".encode()})
    assert r.status_code == 400, r.text[:200]


def test_a_huge_number_as_a_path_id_is_404(client: TestClient, people: dict[str, Person]) -> None:
    for path in ("/v1/items/", "/v1/locations/", "/v1/users/", "/v1/purchase-orders/"):
        assert client.get(path + BIG, headers=people["admin"].headers).status_code == 404


def test_parse_int_reads_plain_integers_only_and_never_raises() -> None:
    assert parse_int("200", 1, 200) == 200
    assert parse_int("0007", 1, 200) == 7
    assert parse_int("-3", -5, 5) == -3
    for bad in (BIG, "-" + BIG, "201", "0", "", "-", "²", "\u0661", "1_0", " 1", "1 ", "+1", "1.0", "0x10"):
        assert parse_int(bad, 1, 200) is None, bad
