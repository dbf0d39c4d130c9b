"""Bad input gets a clear error and changes nothing: 415, 400, 422 with the field's path."""

from __future__ import annotations

import psycopg
import pytest
from starlette.testclient import TestClient

from tests.conftest import Person

NEW = '{"email": "x@example.com", "display_name": "X", "role": "viewer", "password": "long enough password"}'


def post(client: TestClient, person: Person, body: str | bytes, content_type: str = "application/json"):  # type: ignore[no-untyped-def]
    return client.post("/v1/users", content=body, headers=person.headers | {"Content-Type": content_type})


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", ""])
def test_non_json_is_415(client: TestClient, people: dict[str, Person], content_type: str) -> None:
    r = post(client, people["admin"], NEW, content_type)
    assert r.status_code == 415
    assert r.headers["content-type"] == "application/problem+json"


def test_json_with_charset_or_a_json_suffix_is_accepted(client: TestClient, people: dict[str, Person]) -> None:
    assert post(client, people["admin"], NEW, "application/json; charset=utf-8").status_code == 201


@pytest.mark.parametrize("body", ['{"email": ', "not json", "{'single': 'quotes'}", "", "\x00"])
def test_malformed_json_is_400(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection, body: str
) -> None:
    r = post(client, people["admin"], body)
    assert r.status_code == 400
    assert owner.execute("select count(*) from app_user").fetchone() == (4,)


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (
            '{"email": "x@example.com", "display_name": "X\\u0000", '
            '"role": "viewer", "password": "long enough password"}',
            "$",
        ),
        ("[" * 5000 + "]" * 5000, "$"),
        ('{"email": "x@example.com", "display_name": {"a": ' * 300 + "1" + "}" * 301, "$.display_name"),
        ('{"email": 5, "display_name": "X", "role": "viewer", "password": "long enough password"}', "$.email"),
        ("[]", "$"),
        ('{"display_name": "X", "role": "viewer", "password": "long enough password"}', "$"),
    ],
    ids=["nul", "deep-array", "deep-object", "wrong-type", "not-an-object", "missing-field"],
)
def test_invalid_json_is_422_naming_where(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection, body: str, path: str
) -> None:
    r = post(client, people["admin"], body)
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["errors"][0]["path"] == path
    assert "email" in problem["detail"] or path != "$.email"
    assert owner.execute("select count(*) from app_user").fetchone() == (4,)
