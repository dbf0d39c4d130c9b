"""Query parameters: a route takes those its row of the route table declares (Op.query), each at most
once; anything else is a 422 naming it, on every route, before the handler runs."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from neuropilot.routes import ROUTES, Op
from tests.conftest import Person

SOME_ID = "00000000-0000-4000-8000-000000000001"


def url(op: Op) -> str:
    return op.path.replace("{id}", SOME_ID)


def caller(op: Op, people: dict[str, Person]) -> dict[str, str]:
    return people[op.roles[0]].headers if op.roles else {}


@pytest.mark.parametrize("op", ROUTES, ids=[f"{op.method} {op.path}" for op in ROUTES])
def test_an_unknown_query_parameter_is_422_naming_it_on_every_route(
    client: TestClient, people: dict[str, Person], op: Op
) -> None:
    r = client.request(op.method, url(op) + "?catgory=dry", headers=caller(op, people), json={})
    assert r.status_code == 422, (op.method, op.path, r.status_code, r.text[:200])
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"] == [{"path": "catgory", "message": "unknown query parameter"}]


def test_every_unknown_parameter_is_named(client: TestClient, people: dict[str, Person]) -> None:
    r = client.get("/v1/items?catgory=dry&limit=5&sort=name", headers=people["viewer"].headers)
    assert r.status_code == 422
    assert [e["path"] for e in r.json()["errors"]] == ["catgory", "sort"]


def test_the_typo_no_longer_lists_everything(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str]
) -> None:
    h = people["viewer"].headers
    assert [i["item_number"] for i in client.get("/v1/items?category=dairy", headers=h).json()["data"]] == ["MILK"]
    assert client.get("/v1/items?catgory=dairy", headers=h).status_code == 422


@pytest.mark.parametrize("query", ["limit=1&limit=2", "category=dairy&category=dry", "cursor=&cursor="])
def test_a_parameter_given_twice_is_422(client: TestClient, people: dict[str, Person], query: str) -> None:
    r = client.get(f"/v1/items?{query}", headers=people["viewer"].headers)
    assert r.status_code == 422
    assert r.json()["errors"] == [{"path": query.partition("=")[0], "message": "given more than once"}]


def test_declared_parameters_and_an_empty_query_string_are_fine(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str]
) -> None:
    h = people["viewer"].headers
    for query in ("", "?", "?limit=1&category=dairy&q=MI&active=true"):
        assert client.get(f"/v1/items{query}", headers=h).status_code == 200, query
    assert client.get("/health?").status_code == 200


def test_an_unknown_parameter_without_a_token_is_still_a_401(client: TestClient) -> None:
    r = client.get("/v1/items?catgory=dry")
    assert r.status_code == 401
