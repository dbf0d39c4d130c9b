"""Idempotency-Key on creating POSTs: a retry gets the first response and writes nothing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest
from starlette.testclient import TestClient

from tests.conftest import Person


def receive(client: TestClient, person: Person, kitchen: dict[str, str], key: str, qty: str = "2") -> Any:
    body = {"item_id": kitchen["FLOUR"], "location_id": kitchen["DRY"], "type": "receive", "qty": qty}
    return client.post("/v1/movements", json=body, headers=person.headers | {"Idempotency-Key": key})


def rows(owner: psycopg.Connection, table: str) -> int:
    row = owner.execute(f"select count(*) from {table}").fetchone()
    assert row is not None
    return int(row[0])


def test_retry_returns_the_first_response_without_a_second_write(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    first = receive(client, people["manager"], kitchen, "key-1")
    again = receive(client, people["manager"], kitchen, "key-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert rows(owner, "movement") == 1 and rows(owner, "audit_log") == 1


def test_replay_keeps_the_location_header(client: TestClient, people: dict[str, Person]) -> None:
    body = {"item_number": "X-1", "name": "X", "unit": "ea"}
    h = people["manager"].headers | {"Idempotency-Key": "create-x"}
    first, again = (client.post("/v1/items", json=body, headers=h) for _ in range(2))
    assert again.headers["location"] == first.headers["location"] == f"/v1/items/{first.json()['id']}"


def test_same_key_with_another_body_is_422_and_writes_nothing(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    receive(client, people["manager"], kitchen, "key-2", "2")
    r = receive(client, people["manager"], kitchen, "key-2", "3")
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "Idempotency-Key"
    assert rows(owner, "movement") == 1


def test_keys_are_per_user(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    receive(client, people["manager"], kitchen, "shared-key")
    r = receive(client, people["admin"], kitchen, "shared-key")
    assert r.status_code == 201 and "idempotent-replayed" not in r.headers
    assert rows(owner, "movement") == 2


def test_parallel_retries_write_once(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda _: receive(client, people["manager"], kitchen, "racing"), range(6)))
    assert {r.status_code for r in results} == {201}
    assert len({r.text for r in results}) == 1
    assert rows(owner, "movement") == 1


def test_an_expired_key_can_be_used_again(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    receive(client, people["manager"], kitchen, "old-key")
    owner.execute("update idempotency_key set expires_at = now() - interval '1 second'")
    r = receive(client, people["manager"], kitchen, "old-key", "5")
    assert r.status_code == 201 and r.json()["qty"] == "5.000"
    assert rows(owner, "movement") == 2


def test_a_refused_request_does_not_use_up_its_key(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    assert receive(client, people["manager"], kitchen, "fix-me", "0").status_code == 422
    assert receive(client, people["manager"], kitchen, "fix-me", "1").status_code == 201
    assert rows(owner, "idempotency_key") == 1


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "tab\there"])
def test_malformed_key_is_422(client: TestClient, people: dict[str, Person], kitchen: dict[str, str], key: str) -> None:
    assert receive(client, people["manager"], kitchen, key).status_code == 422


def test_count_batch_and_transfer_and_user_creation_are_idempotent_too(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    h = people["admin"].headers | {"Idempotency-Key": "k"}
    batch = {"counts": [{"item_id": kitchen["FLOUR"], "location_id": kitchen["DRY"], "qty_on_hand": "1"}] * 3}
    transfer = {
        "item_id": kitchen["MILK"],
        "from_location_id": kitchen["COOL"],
        "to_location_id": kitchen["DRY"],
        "qty": "1",
    }
    user = {"email": "new@example.com", "display_name": "N", "role": "viewer", "password": "long enough password"}
    for path, body, key in (
        ("/v1/counts/batch", batch, "b"),
        ("/v1/transfers", transfer, "t"),
        ("/v1/users", user, "u"),
    ):
        first, again = (client.post(path, json=body, headers=h | {"Idempotency-Key": key}) for _ in range(2))
        assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert (rows(owner, "inventory_count"), rows(owner, "movement"), rows(owner, "app_user")) == (3, 2, 5)
