"""Login, refresh rotation with reuse detection, logout and /v1/me, over HTTP against real PostgreSQL."""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import jwt
import psycopg
import pytest
from argon2 import PasswordHasher
from starlette.testclient import TestClient

from tests.conftest import JWT_KEYS, PASSWORD, Person


def login(client: TestClient, email: str, password: str = PASSWORD) -> Any:
    return client.post("/v1/auth/login", json={"email": email, "password": password})


def tokens(client: TestClient, person: Person) -> dict[str, Any]:
    r = login(client, person.email)
    assert r.status_code == 200, r.text
    return dict(r.json())


def refresh(client: TestClient, token: str) -> Any:
    return client.post("/v1/auth/refresh", json={"refresh_token": token})


def bearer(pair: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {pair['access_token']}"}


def audit_actions(owner: psycopg.Connection) -> list[str]:
    return [r[0] for r in owner.execute("select action from audit_log order by id")]


def test_login_returns_a_token_pair_that_works(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection
) -> None:
    r = login(client, "Manager@Example.com")  # emails are case-insensitive
    assert r.status_code == 200
    pair = r.json()
    assert pair["token_type"] == "Bearer" and pair["expires_in"] == 900
    claims = jwt.decode(pair["access_token"], JWT_KEYS[0][1], algorithms=["HS256"])
    assert (claims["sub"], claims["role"], claims["email"]) == (people["manager"].id, "manager", "manager@example.com")
    me = client.get("/v1/me", headers=bearer(pair))
    assert me.status_code == 200 and me.json()["id"] == people["manager"].id
    assert audit_actions(owner) == ["auth.login"]


def test_unknown_email_and_wrong_password_look_the_same(client: TestClient, people: dict[str, Person]) -> None:
    wrong = login(client, people["viewer"].email, "wrong password!!")
    unknown = login(client, "nobody@example.com", "wrong password!!")
    assert wrong.status_code == unknown.status_code == 401
    strip = lambda r: {k: v for k, v in r.json().items() if k != "request_id"}  # noqa: E731
    assert strip(wrong) == strip(unknown)
    assert wrong.headers["www-authenticate"] == unknown.headers["www-authenticate"] == "Bearer"


def test_unknown_email_costs_what_a_wrong_password_costs(client: TestClient, people: dict[str, Person]) -> None:
    def timed(email: str) -> float:
        started = time.perf_counter()
        login(client, email, "wrong password!!")
        return time.perf_counter() - started

    timed("warm-up@example.com")  # the dummy hash is made on first use
    known = statistics.median(timed(people["viewer"].email) for _ in range(3))
    unknown = statistics.median(timed(f"ghost{i}@example.com") for i in range(3))
    assert unknown > 0.5 * known, (known, unknown)  # both verify one argon2 hash


def test_inactive_user_cannot_log_in_even_with_the_right_password(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection
) -> None:
    owner.execute("update app_user set active = false where id = %s", (people["counter"].id,))
    r = login(client, people["counter"].email)
    assert r.status_code == 401
    assert r.json()["detail"] == "Invalid email or password."


def test_failed_login_is_audited_without_the_password(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection
) -> None:
    login(client, people["admin"].email, "a wrong password")
    login(client, "ghost@example.com", "another wrong one")
    rows = owner.execute("select actor_id, action, entity_id::text, details from audit_log order by id").fetchall()
    assert rows == [
        (None, "auth.login_failed", people["admin"].id, {"email": people["admin"].email}),
        (None, "auth.login_failed", None, {"email": "ghost@example.com"}),
    ]
    assert "wrong" not in str(rows)


def test_lockout_refuses_even_the_right_password_and_spares_other_accounts(
    client: TestClient, people: dict[str, Person]
) -> None:
    for _ in range(5):
        assert login(client, people["viewer"].email, "wrong password!!").status_code == 401
    r = login(client, people["viewer"].email)
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) >= 1
    assert login(client, people["manager"].email).status_code == 200


def test_password_hash_is_upgraded_on_login_when_parameters_changed(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection
) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    owner.execute("update app_user set password_hash = %s where id = %s", (weak, people["viewer"].id))
    assert login(client, people["viewer"].email).status_code == 200
    (stored,) = owner.execute("select password_hash from app_user where id = %s", (people["viewer"].id,)).fetchone()  # type: ignore[misc]
    assert stored != weak and stored.startswith("$argon2id$") and "m=65536" in stored
    assert login(client, people["viewer"].email).status_code == 200


def test_refresh_rotates_and_a_replayed_token_revokes_the_family(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection
) -> None:
    first = tokens(client, people["viewer"])
    second = refresh(client, first["refresh_token"])
    assert second.status_code == 200
    second_pair = second.json()
    assert second_pair["refresh_token"] != first["refresh_token"]
    replay = refresh(client, first["refresh_token"])  # the spent token comes back: theft
    assert replay.status_code == 401 and replay.headers["www-authenticate"] == "Bearer"
    assert refresh(client, second_pair["refresh_token"]).status_code == 401  # the whole family is dead
    assert "auth.refresh_reuse" in audit_actions(owner)
    live = owner.execute("select count(*) from refresh_token where revoked_at is null and spent_at is null").fetchone()
    assert live == (0,)


def test_parallel_refreshes_never_leave_two_live_branches(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection
) -> None:
    pair = tokens(client, people["counter"])
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: refresh(client, pair["refresh_token"]), range(4)))
    assert sorted(r.status_code for r in results).count(200) <= 1
    live = owner.execute("select count(*) from refresh_token where revoked_at is null and spent_at is null").fetchone()
    assert live is not None and live[0] <= 1
    # No live branch at all (README): the refreshes that lost found the token spent and revoked the family.
    assert live == (0,)
    for r in results:
        if r.status_code == 200:
            assert refresh(client, r.json()["refresh_token"]).status_code == 401


def test_two_racing_refreshes_leave_every_branch_dead_and_access_tokens_run_out(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection
) -> None:
    """One refresh wins the row lock and gets a pair; the other finds the token spent (reuse) and revokes
    the family, the winner's new refresh token included. Access tokens are verified without the database
    (README, Authentication): the ones already issued keep working until they expire (15 min)."""
    pair = tokens(client, people["counter"])
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: refresh(client, pair["refresh_token"]), range(2)))
    assert sorted(r.status_code for r in results) == [200, 401]
    winner = next(r.json() for r in results if r.status_code == 200)
    for token in (pair["refresh_token"], winner["refresh_token"]):
        assert refresh(client, token).status_code == 401
    family = owner.execute(
        "select count(*), count(*) filter (where revoked_at is null) from refresh_token where user_id = %s",
        (people["counter"].id,),
    ).fetchone()
    assert family == (2, 0)  # the login's token and the winner's: both revoked
    assert "auth.refresh_reuse" in audit_actions(owner)
    for access in (pair["access_token"], winner["access_token"]):
        assert client.get("/v1/me", headers={"Authorization": f"Bearer {access}"}).status_code == 200
    assert tokens(client, people["counter"])["refresh_token"]  # signing in again starts a new family


def test_access_token_is_not_a_refresh_token_and_vice_versa(client: TestClient, people: dict[str, Person]) -> None:
    pair = tokens(client, people["viewer"])
    assert refresh(client, pair["access_token"]).status_code == 401
    r = client.get("/v1/me", headers={"Authorization": f"Bearer {pair['refresh_token']}"})
    assert r.status_code == 401


def test_logout_revokes_the_family(client: TestClient, people: dict[str, Person], owner: psycopg.Connection) -> None:
    pair = tokens(client, people["manager"])
    assert client.post("/v1/auth/logout", json={"refresh_token": pair["refresh_token"]}).status_code == 401
    r = client.post("/v1/auth/logout", json={"refresh_token": pair["refresh_token"]}, headers=bearer(pair))
    assert r.status_code == 204
    assert refresh(client, pair["refresh_token"]).status_code == 401
    assert "auth.logout" in audit_actions(owner)


def test_logout_with_someone_elses_refresh_token_is_refused(client: TestClient, people: dict[str, Person]) -> None:
    victim, attacker = tokens(client, people["admin"]), tokens(client, people["viewer"])
    r = client.post("/v1/auth/logout", json={"refresh_token": victim["refresh_token"]}, headers=bearer(attacker))
    assert r.status_code == 403
    assert refresh(client, victim["refresh_token"]).status_code == 200


@pytest.mark.parametrize("change", [{"active": False}, {"role": "counter"}], ids=["deactivated", "role-changed"])
def test_refresh_fails_at_once_after_deactivation_or_role_change_by_an_admin(
    client: TestClient, people: dict[str, Person], change: dict[str, Any]
) -> None:
    pair = tokens(client, people["viewer"])
    r = client.patch(f"/v1/users/{people['viewer'].id}", json=change, headers=people["admin"].headers)
    assert r.status_code == 200, r.text
    assert refresh(client, pair["refresh_token"]).status_code == 401


def test_me_shows_the_profile_without_secrets(client: TestClient, people: dict[str, Person]) -> None:
    r = client.get("/v1/me", headers=people["counter"].headers)
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"id", "email", "display_name", "role", "active", "created_at", "updated_at"}
    assert body["role"] == "counter" and r.headers["etag"].startswith('"')
    assert "argon2" not in r.text


def test_password_change_needs_the_current_password_and_ends_other_sessions(
    client: TestClient, people: dict[str, Person]
) -> None:
    viewer = people["viewer"]
    pair = tokens(client, viewer)
    new = "a brand new passphrase"
    r = client.patch("/v1/me", json={"password": new}, headers=viewer.headers)
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.current_password"
    r = client.patch("/v1/me", json={"password": new, "current_password": "not it at all"}, headers=viewer.headers)
    assert r.status_code == 422
    r = client.patch("/v1/me", json={"password": new, "current_password": PASSWORD}, headers=viewer.headers)
    assert r.status_code == 200
    assert refresh(client, pair["refresh_token"]).status_code == 401
    assert login(client, viewer.email).status_code == 401
    assert login(client, viewer.email, new).status_code == 200


def test_new_password_must_have_twelve_characters(client: TestClient, people: dict[str, Person]) -> None:
    r = client.patch(
        "/v1/me", json={"password": "elevenchars", "current_password": PASSWORD}, headers=people["admin"].headers
    )
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.password"


@pytest.mark.parametrize("field", [{"role": "admin"}, {"active": True}, {"email": "boss@example.com"}, {"id": "x"}])
def test_role_escalation_through_the_body_is_refused(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection, field: dict[str, Any]
) -> None:
    r = client.patch("/v1/me", json={"display_name": "Sneaky"} | field, headers=people["viewer"].headers)
    assert r.status_code == 422
    assert r.json()["errors"][0]["message"] == "unknown field"
    row = owner.execute("select role, display_name from app_user where id = %s", (people["viewer"].id,)).fetchone()
    assert row == ("viewer", "Viewer")


def test_patch_me_honours_if_match(client: TestClient, people: dict[str, Person]) -> None:
    headers = people["manager"].headers
    tag = client.get("/v1/me", headers=headers).headers["etag"]
    assert client.patch("/v1/me", json={"display_name": "Chef"}, headers=headers | {"If-Match": tag}).status_code == 200
    stale = client.patch("/v1/me", json={"display_name": "Sous"}, headers=headers | {"If-Match": tag})
    assert stale.status_code == 412
    assert client.get("/v1/me", headers=headers).json()["display_name"] == "Chef"
