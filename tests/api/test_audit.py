"""The audit trail: one row per write in the same transaction, none for a rolled-back write, and
GET /v1/audit for admins only (itself audited)."""

from __future__ import annotations

import psycopg
import pytest
from starlette.testclient import TestClient

from tests.conftest import PASSWORD, Person


def count(owner: psycopg.Connection) -> int:
    row = owner.execute("select count(*) from audit_log").fetchone()
    assert row is not None
    return int(row[0])


def test_each_successful_write_adds_exactly_one_row(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection
) -> None:
    admin = people["admin"].headers
    before = count(owner)
    new = {"email": "x@example.com", "display_name": "X", "role": "viewer", "password": "long enough password"}
    user = client.post("/v1/users", json=new, headers=admin).json()
    assert count(owner) == before + 1
    client.patch(f"/v1/users/{user['id']}", json={"display_name": "Y"}, headers=admin)
    assert count(owner) == before + 2
    client.patch("/v1/me", json={"display_name": "Boss"}, headers=admin)
    assert count(owner) == before + 3


def test_a_rolled_back_write_leaves_no_row(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection
) -> None:
    admin = people["admin"].headers
    before = count(owner)
    dup = {"email": "viewer@example.com", "display_name": "V", "role": "viewer", "password": "long enough password"}
    assert client.post("/v1/users", json=dup, headers=admin).status_code == 409
    assert client.patch(f"/v1/users/{people['admin'].id}", json={"active": False}, headers=admin).status_code == 409
    assert count(owner) == before


def test_row_records_actor_ip_agent_and_never_secrets(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection
) -> None:
    r = client.post(
        "/v1/auth/login",
        json={"email": people["viewer"].email, "password": PASSWORD},
        headers={"User-Agent": "kitchen-tablet/1.0 " + "x" * 1000},
    )
    pair = r.json()
    client.patch(
        "/v1/me",
        json={"password": "a brand new passphrase", "current_password": PASSWORD},
        headers=people["viewer"].headers,
    )
    rows = owner.execute(
        "select actor_id::text, action, user_agent, details::text from audit_log order by id"
    ).fetchall()
    assert rows[0][:2] == (people["viewer"].id, "auth.login")
    assert rows[0][2].startswith("kitchen-tablet/1.0") and len(rows[0][2]) == 512
    everything = str(owner.execute("select * from audit_log").fetchall())
    for secret in (PASSWORD, "a brand new passphrase", pair["access_token"], pair["refresh_token"], "argon2"):
        assert secret not in everything


@pytest.mark.parametrize("role", ["manager", "counter", "viewer"])
def test_only_admins_read_the_trail(client: TestClient, people: dict[str, Person], role: str) -> None:
    assert client.get("/v1/audit", headers=people[role].headers).status_code == 403


def test_admin_reads_filtered_pages_and_the_read_is_audited(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection
) -> None:
    admin = people["admin"]
    for name in ("A", "B", "C"):
        client.patch(f"/v1/users/{people['viewer'].id}", json={"display_name": name}, headers=admin.headers)
    first = client.get(f"/v1/audit?entity=app_user&entity_id={people['viewer'].id}&limit=2", headers=admin.headers)
    assert first.status_code == 200
    body = first.json()
    assert [e["details"]["after"]["display_name"] for e in body["data"]] == ["C", "B"]
    rest = client.get(
        f"/v1/audit?entity_id={people['viewer'].id}&limit=2&cursor={body['next_cursor']}", headers=admin.headers
    ).json()
    assert [e["details"]["after"]["display_name"] for e in rest["data"]] == ["A"] and rest["next_cursor"] is None
    reads = owner.execute("select actor_id::text from audit_log where action = 'audit.read'").fetchall()
    assert reads == [(admin.id,), (admin.id,)]
    by_actor = client.get(f"/v1/audit?actor_id={people['viewer'].id}", headers=admin.headers).json()
    assert by_actor["data"] == []


@pytest.mark.parametrize("query", ["entity_id=nope", "actor_id=1", "since=yesterday", "limit=500"])
def test_bad_audit_filters_are_422(client: TestClient, people: dict[str, Person], query: str) -> None:
    assert client.get(f"/v1/audit?{query}", headers=people["admin"].headers).status_code == 422
