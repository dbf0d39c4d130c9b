"""Browser sign-in (§17): the refresh token as a strict cookie, with every rule of §5 and the same-origin checks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from starlette.testclient import TestClient

from neuropilot.app import create_app
from neuropilot.tokens import REFRESH_TTL_S
from tests.conftest import PASSWORD, Person, settings_for
from tests.pg import Db

WEB = {"X-NeuroPilot-Client": "web"}
COOKIE = "__Secure-np_refresh"


def set_cookie(r: Any) -> str:
    values = r.headers.get_list("set-cookie")
    assert len(values) == 1, values
    return str(values[0])


def cookie_value(r: Any) -> str:
    header = set_cookie(r)
    name, _, rest = header.partition("=")
    assert name == COOKIE
    return rest.split(";", 1)[0]


def web_login(client: TestClient, person: Person, headers: dict[str, str] | None = None) -> Any:
    return client.post(
        "/v1/auth/login", json={"email": person.email, "password": PASSWORD}, headers=WEB | (headers or {})
    )


def web_refresh(client: TestClient, cookie: str | None, headers: dict[str, str] | None = None) -> Any:
    sent = WEB | ({"Cookie": f"{COOKIE}={cookie}"} if cookie else {}) | (headers or {})
    return client.post("/v1/auth/refresh", headers=sent)


def signed_in(client: TestClient, person: Person) -> tuple[str, str]:
    r = web_login(client, person)
    assert r.status_code == 200, r.text
    return r.json()["access_token"], cookie_value(r)


def revoked(owner: psycopg.Connection, user_id: str) -> list[str]:
    query = "select distinct revoked_reason from refresh_token where user_id = %s and revoked_at is not null"
    return [r[0] for r in owner.execute(query, (user_id,))]


def test_login_sets_the_refresh_token_as_a_strict_cookie_and_leaves_it_out_of_the_body(
    client: TestClient, people: dict[str, Person]
) -> None:
    r = web_login(client, people["counter"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    attributes = set_cookie(r).split("; ")[1:]
    assert attributes == ["HttpOnly", "Secure", "SameSite=Strict", "Path=/v1/auth", f"Max-Age={REFRESH_TTL_S}"]
    assert cookie_value(r).count(".") == 2  # the refresh JWT itself
    me = client.get("/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["role"] == "counter"


def test_refresh_reads_and_rotates_the_cookie_and_a_replay_revokes_the_family(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection
) -> None:
    _, first = signed_in(client, people["manager"])
    r = web_refresh(client, first)
    assert r.status_code == 200, r.text
    assert "refresh_token" not in r.json()
    second = cookie_value(r)
    assert second != first and "Max-Age=0" not in set_cookie(r)
    assert web_refresh(client, second).status_code == 200  # the rotated one works once

    replay = web_refresh(client, first)
    assert replay.status_code == 401
    assert replay.headers["www-authenticate"] == "Bearer"
    assert cookie_value(replay) == "" and "Max-Age=0" in set_cookie(replay)  # a dead cookie is dropped
    assert "reuse" in revoked(owner, people["manager"].id)
    r = web_refresh(client, second)
    assert r.status_code == 401, "the whole family is revoked after a replay"


def test_refresh_without_the_cookie_is_401(client: TestClient, people: dict[str, Person]) -> None:
    r = web_refresh(client, None)
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"


def test_logout_clears_the_cookie_and_ends_the_family(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection
) -> None:
    access, cookie = signed_in(client, people["viewer"])
    r = client.post(
        "/v1/auth/logout", headers=WEB | {"Authorization": f"Bearer {access}", "Cookie": f"{COOKIE}={cookie}"}
    )
    assert r.status_code == 204
    assert cookie_value(r) == "" and "Max-Age=0" in set_cookie(r) and "Path=/v1/auth" in set_cookie(r)
    assert revoked(owner, people["viewer"].id) == ["logout"]
    assert web_refresh(client, cookie).status_code == 401
    actions = [row[0] for row in owner.execute("select action from audit_log order by id")]
    assert actions[-2:] == ["auth.logout", "auth.refresh_revoked"]


def test_logout_needs_the_bearer_and_refuses_someone_elses_cookie(
    client: TestClient, people: dict[str, Person]
) -> None:
    _, cookie = signed_in(client, people["viewer"])
    headers = WEB | {"Cookie": f"{COOKIE}={cookie}"}
    assert client.post("/v1/auth/logout", headers=headers).status_code == 401
    other = people["admin"].headers
    assert client.post("/v1/auth/logout", headers=headers | other).status_code == 403
    assert web_refresh(client, cookie).status_code == 200  # still alive


def test_the_cookie_without_the_header_is_refused(client: TestClient, people: dict[str, Person]) -> None:
    access, cookie = signed_in(client, people["admin"])
    jar = {"Cookie": f"{COOKIE}={cookie}"}
    r = client.post("/v1/auth/refresh", headers=jar, json={"refresh_token": cookie})
    assert r.status_code == 403
    r = client.post(
        "/v1/auth/logout", headers=jar | {"Authorization": f"Bearer {access}"}, json={"refresh_token": cookie}
    )
    assert r.status_code == 403
    assert web_refresh(client, cookie).status_code == 200  # neither request spent nor revoked it


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
@pytest.mark.parametrize("route", ["login", "refresh", "logout"])
def test_cookie_mode_from_another_site_is_refused(
    client: TestClient, people: dict[str, Person], site: str, route: str
) -> None:
    access, cookie = signed_in(client, people["manager"])
    headers = WEB | {"Sec-Fetch-Site": site, "Cookie": f"{COOKIE}={cookie}", "Authorization": f"Bearer {access}"}
    body = {"email": people["manager"].email, "password": PASSWORD} if route == "login" else None
    r = client.post(f"/v1/auth/{route}", headers=headers, json=body)
    assert r.status_code == 403, r.text
    assert web_refresh(client, cookie).status_code == 200


@pytest.mark.parametrize("site", ["same-origin", "none"])
def test_cookie_mode_from_this_site_is_accepted(client: TestClient, people: dict[str, Person], site: str) -> None:
    _, cookie = signed_in(client, people["manager"])
    assert web_refresh(client, cookie, {"Sec-Fetch-Site": site}).status_code == 200
    assert web_login(client, people["manager"], {"Sec-Fetch-Site": site}).status_code == 200


@pytest.mark.parametrize(
    "origin",
    ["https://evil.test", "http://testserver.evil.test", "null", "http://testserver:8080", "https://cors.test"],
)
def test_cookie_mode_from_a_foreign_origin_is_refused(
    client: TestClient, people: dict[str, Person], origin: str
) -> None:
    _, cookie = signed_in(client, people["manager"])
    assert web_login(client, people["manager"], {"Origin": origin}).status_code == 403
    assert web_refresh(client, cookie, {"Origin": origin}).status_code == 403
    assert web_refresh(client, cookie).status_code == 200


@pytest.fixture
def cors_client(database: Db) -> Iterator[TestClient]:
    app = create_app(settings_for(database, cors_origins=("https://cors.test",)))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("origin", ["http://testserver", "https://testserver", "https://cors.test"])
def test_cookie_mode_from_this_server_or_a_configured_origin_is_accepted(
    cors_client: TestClient, people: dict[str, Person], origin: str
) -> None:
    r = web_login(cors_client, people["manager"], {"Origin": origin})
    assert r.status_code == 200, r.text
    assert web_refresh(cors_client, cookie_value(r), {"Origin": origin}).status_code == 200


def test_an_unknown_client_value_is_a_400(client: TestClient, people: dict[str, Person]) -> None:
    r = client.post(
        "/v1/auth/login",
        json={"email": people["manager"].email, "password": PASSWORD},
        headers={"X-NeuroPilot-Client": "mobile"},
    )
    assert r.status_code == 400 and "X-NeuroPilot-Client" in r.json()["detail"]


def test_body_mode_is_unchanged_and_sets_no_cookie(client: TestClient, people: dict[str, Person]) -> None:
    r = client.post("/v1/auth/login", json={"email": people["manager"].email, "password": PASSWORD})
    assert r.status_code == 200 and "refresh_token" in r.json()
    assert "set-cookie" not in r.headers
    r = client.post("/v1/auth/refresh", json={"refresh_token": r.json()["refresh_token"]})
    assert r.status_code == 200 and "refresh_token" in r.json() and "set-cookie" not in r.headers


@pytest.mark.parametrize("route", ["refresh", "logout"])
def test_cookie_mode_refuses_a_body(client: TestClient, people: dict[str, Person], route: str) -> None:
    access, cookie = signed_in(client, people["manager"])
    headers = WEB | {"Cookie": f"{COOKIE}={cookie}", "Authorization": f"Bearer {access}"}
    r = client.post(f"/v1/auth/{route}", headers=headers, json={"refresh_token": cookie})
    assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$"
    assert web_refresh(client, cookie).status_code == 200  # neither spent nor revoked
