"""/v1/users: admin only, no secrets out, duplicates refused, changes audited."""

from __future__ import annotations

import psycopg
import pytest
from starlette.testclient import TestClient

from tests.conftest import PASSWORD, Person

NEW = {"email": "cook@example.com", "display_name": "Cook", "role": "counter", "password": "long enough password"}


@pytest.mark.parametrize("role", ["manager", "counter", "viewer"])
def test_only_admins_reach_user_routes(client: TestClient, people: dict[str, Person], role: str) -> None:
    headers, target = people[role].headers, people["admin"].id
    assert client.get("/v1/users", headers=headers).status_code == 403
    assert client.post("/v1/users", json=NEW | {"role": "admin"}, headers=headers).status_code == 403
    assert client.get(f"/v1/users/{target}", headers=headers).status_code == 403
    assert client.patch(f"/v1/users/{people[role].id}", json={"role": "admin"}, headers=headers).status_code == 403


def test_admin_creates_and_reads_a_user_without_secrets(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection
) -> None:
    admin = people["admin"].headers
    r = client.post("/v1/users", json=NEW, headers=admin)
    assert r.status_code == 201, r.text
    created = r.json()
    assert r.headers["location"] == f"/v1/users/{created['id']}"
    assert created["role"] == "counter" and created["active"] is True
    got = client.get(f"/v1/users/{created['id']}", headers=admin)
    assert got.json() == created and got.headers["etag"] == r.headers["etag"]
    listed = client.get("/v1/users", headers=admin).text
    for text in (r.text, got.text, listed):
        assert "password" not in text and "argon2" not in text
    assert login_works(client, NEW["email"], NEW["password"])
    assert ("user.create", {"email": NEW["email"], "display_name": "Cook", "role": "counter"}) in owner.execute(
        "select action, details from audit_log"
    ).fetchall()


def login_works(client: TestClient, email: str, password: str) -> bool:
    return client.post("/v1/auth/login", json={"email": email, "password": password}).status_code == 200


def test_duplicate_email_is_409_whatever_the_case(client: TestClient, people: dict[str, Person]) -> None:
    r = client.post("/v1/users", json=NEW | {"email": "MANAGER@example.com"}, headers=people["admin"].headers)
    assert r.status_code == 409


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"password": "short"}, "$.password"),
        ({"role": "owner"}, "$.role"),
        ({"email": "not-an-email"}, "$.email"),
        ({"display_name": ""}, "$.display_name"),
        ({"password_hash": "$argon2id$forged"}, "$.password_hash"),
    ],
)
def test_invalid_user_is_422_naming_the_field(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection, change: dict[str, str], path: str
) -> None:
    r = client.post("/v1/users", json=NEW | change, headers=people["admin"].headers)
    assert r.status_code == 422
    assert r.json()["errors"][0]["path"] == path
    assert owner.execute("select count(*) from app_user").fetchone() == (4,)


def test_list_pages_through_every_user_once(
    client: TestClient, people: dict[str, Person], password_hash: str, owner: psycopg.Connection
) -> None:
    for n in range(7):
        owner.execute(
            "insert into app_user (email, display_name, role, password_hash) values (%s, 'U', 'viewer', %s)",
            (f"user{n}@example.com", password_hash),
        )
    seen: list[str] = []
    url = "/v1/users?limit=3"
    while url:
        body = client.get(url, headers=people["admin"].headers).json()
        seen += [u["email"] for u in body["data"]]
        url = f"/v1/users?limit=3&cursor={body['next_cursor']}" if body["next_cursor"] else ""
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 11


@pytest.mark.parametrize("query", ["limit=0", "limit=201", "limit=abc", "cursor=garbage!", "cursor=WzFd"])
def test_bad_list_parameters_are_422(client: TestClient, people: dict[str, Person], query: str) -> None:
    r = client.get(f"/v1/users?{query}", headers=people["admin"].headers)
    assert r.status_code == 422


def test_admin_updates_role_and_the_change_is_audited_with_before_and_after(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection
) -> None:
    r = client.patch(f"/v1/users/{people['viewer'].id}", json={"role": "counter"}, headers=people["admin"].headers)
    assert r.status_code == 200 and r.json()["role"] == "counter"
    details = owner.execute("select details from audit_log where action = 'user.update'").fetchone()
    assert details == ({"before": {"role": "viewer"}, "after": {"role": "counter"}},)


def test_unknown_or_malformed_user_id_is_404(client: TestClient, people: dict[str, Person]) -> None:
    admin = people["admin"].headers
    assert client.get("/v1/users/00000000-0000-4000-8000-00000000ffff", headers=admin).status_code == 404
    assert client.get("/v1/users/not-a-uuid", headers=admin).status_code == 404
    assert client.patch("/v1/users/not-a-uuid", json={"role": "viewer"}, headers=admin).status_code == 404


def test_the_last_active_admin_cannot_demote_or_deactivate_themselves(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection
) -> None:
    admin = people["admin"]
    for change in ({"role": "manager"}, {"active": False}):
        r = client.patch(f"/v1/users/{admin.id}", json=change, headers=admin.headers)
        assert r.status_code == 409
    assert owner.execute("select role, active from app_user where id = %s", (admin.id,)).fetchone() == ("admin", True)
    assert owner.execute("select count(*) from audit_log where action = 'user.update'").fetchone() == (0,)


def test_patch_user_honours_if_match(client: TestClient, people: dict[str, Person]) -> None:
    admin, url = people["admin"].headers, f"/v1/users/{people['counter'].id}"
    tag = client.get(url, headers=admin).headers["etag"]
    assert client.patch(url, json={"display_name": "A"}, headers=admin | {"If-Match": tag}).status_code == 200
    assert client.patch(url, json={"display_name": "B"}, headers=admin | {"If-Match": tag}).status_code == 412


def test_admin_reads_of_users_are_audited(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection
) -> None:
    admin = people["admin"].headers
    client.get("/v1/users", headers=admin)
    client.get(f"/v1/users/{people['viewer'].id}", headers=admin)
    rows = owner.execute("select actor_id::text, action, entity_id::text from audit_log order by id").fetchall()
    assert rows == [(people["admin"].id, "user.list", None), (people["admin"].id, "user.read", people["viewer"].id)]


def test_deactivated_user_keeps_history_and_cannot_log_in(client: TestClient, people: dict[str, Person]) -> None:
    r = client.patch(f"/v1/users/{people['counter'].id}", json={"active": False}, headers=people["admin"].headers)
    assert r.status_code == 200 and r.json()["active"] is False
    assert not login_works(client, people["counter"].email, PASSWORD)
