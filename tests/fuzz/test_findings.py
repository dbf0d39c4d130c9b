"""What the schemathesis run found, pinned down as plain tests (fast, and not dependent on the seed)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.testclient import TestClient

from neuropilot.openapi import build
from tests.conftest import Person


def _patterns(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
        return found + [p for value in node.values() for p in _patterns(value)]
    if isinstance(node, list):
        return [p for value in node for p in _patterns(value)]
    return []


def test_patterns_mean_the_same_to_python_and_to_ecma_262() -> None:
    from neuropilot.routes import ROUTES

    patterns = set(_patterns(build(ROUTES)["components"]["schemas"]))  # what msgspec validates with
    assert len(patterns) >= 5
    for pattern in patterns:
        assert r"\d" not in pattern, pattern  # Python's \d takes any script's digits
        assert r"\s" not in pattern or r"\s\x1c-\x1f\x85\ufeff" in pattern, pattern  # the engines' \s differ
        assert "." not in re.sub(r"\[[^\]]*\]", "", pattern.replace(r"\.", "")), pattern  # Python's . takes \r
        assert pattern.endswith(r"$(?!\n)"), pattern  # Python's $ also matches before a final newline


@pytest.mark.parametrize(("field", "value"), [("item_number", "FLOUR\n"), ("min_qty", "5\n"), ("min_qty", "١٢")])
def test_values_python_alone_would_take_are_refused(
    client: TestClient, people: dict[str, Person], field: str, value: str
) -> None:
    body = {"item_number": "RYE", "name": "Rye", "unit": "kg"} | {field: value}
    r = client.post("/v1/items", json=body, headers=people["manager"].headers)
    assert r.status_code == 422
    assert r.json()["errors"][0]["path"] == f"$.{field}"


def test_a_405_allows_every_method_of_the_path(client: TestClient, people: dict[str, Person]) -> None:
    r = client.put("/v1/items/00000000-0000-0000-0000-000000000000", headers=people["admin"].headers)
    assert r.status_code == 405
    assert set(r.headers["allow"].split(", ")) == {"GET", "HEAD", "PATCH", "DELETE"}
    assert r.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "query", ["item_id=", "since=", "limit=%C2%B2", "since=0001-01-01T00:00:00%2B01:00", "location_id="]
)
def test_empty_or_odd_query_values_are_422_not_ignored_nor_500(
    client: TestClient, people: dict[str, Person], query: str
) -> None:
    r = client.get(f"/v1/movements?{query}", headers=people["viewer"].headers)
    assert r.status_code == 422
    assert r.json()["errors"][0]["path"] == query.split("=")[0]


def test_offsets_postgresql_refuses_are_taken_as_the_same_instant_in_utc(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str]
) -> None:
    count = {"item_id": kitchen["FLOUR"], "location_id": kitchen["DRY"], "qty_on_hand": "2"}
    r = client.post(
        "/v1/counts", json=count | {"counted_at": "2025-03-01T23:30:00+22:30"}, headers=people["counter"].headers
    )
    assert r.status_code == 201, r.text
    assert r.json()["counted_at"] == "2025-03-01T01:00:00Z"
    listed = client.get("/v1/counts?since=2025-03-01T23:00:00%2B22:30", headers=people["counter"].headers)
    assert [c["id"] for c in listed.json()["data"]] == [r.json()["id"]]
    r = client.post(
        "/v1/counts", json=count | {"counted_at": "0001-01-01T00:00:00+01:00"}, headers=people["counter"].headers
    )
    assert r.status_code == 422
    assert r.json()["errors"] == [{"path": "$.counted_at", "message": "out of range"}]


def test_an_order_whose_total_would_not_fit_is_422_naming_the_lines(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str]
) -> None:
    line = {"item_id": kitchen["FLOUR"], "req_qty": "99999999999", "unit_price": "9999999999"}
    r = client.post("/v1/purchase-orders", json={"supplier": "Big", "lines": [line]}, headers=people["manager"].headers)
    assert r.status_code == 422
    assert r.json()["errors"][0]["path"] == "$.lines"
    fits = line | {"req_qty": "9999", "unit_price": "9999999999"}  # 99 989 999 990 001: just under 10^14
    r = client.post("/v1/purchase-orders", json={"supplier": "Big", "lines": [fits]}, headers=people["manager"].headers)
    assert r.status_code == 201, r.text


def test_an_on_hand_that_would_not_fit_is_a_422_that_says_so(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str]
) -> None:
    receipt = {"item_id": kitchen["FLOUR"], "location_id": kitchen["DRY"], "type": "receive", "qty": "99999999999"}
    assert client.post("/v1/movements", json=receipt, headers=people["manager"].headers).status_code == 201
    r = client.post("/v1/movements", json=receipt, headers=people["manager"].headers)
    assert r.status_code == 422
    assert r.json()["detail"] == "A resulting quantity or amount would be larger than the ledger can hold."
