"""Rate limits, sign-in lock-outs and X-Forwarded-For trust through the real app (create_app, real
tokens, real PostgreSQL) over HTTP, with the in-process counters and with real Redis
(NEUROPILOT_TEST_REDIS_URL, default 127.0.0.1:6379/15; skipped when it does not answer)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

import psycopg
import pytest
from starlette.testclient import TestClient

from neuropilot import ratelimit
from neuropilot.app import create_app
from neuropilot.ratelimit import RedisLimiter
from tests.conftest import PASSWORD, Person, settings_for
from tests.pg import Db
from tests.test_ratelimit import REDIS_URL, purge, redis_or_skip

PROXY = ("10.0.0.7", 40000)  # a peer in NEUROPILOT_TRUSTED_PROXIES below
STRANGER = ("192.0.2.9", 40000)  # a peer that is not
Make = Callable[..., TestClient]


@pytest.fixture(params=["memory", "redis"])
def make(request: pytest.FixtureRequest, database: Db, monkeypatch: pytest.MonkeyPatch) -> Iterator[Make]:
    """make(peer, **settings) → a client of create_app with those settings, counting in memory or in Redis
    (under a prefix of this test's own, so parallel runs and other tests never share a counter)."""
    redis_url, prefix = None, f"{ratelimit.REDIS_PREFIX}test-{secrets.token_hex(6)}:"
    if request.param == "redis":
        redis_url = redis_or_skip()
        monkeypatch.setattr(ratelimit, "build_limiter", lambda s: RedisLimiter(REDIS_URL, prefix=prefix))
    clients: list[TestClient] = []

    def factory(peer: tuple[str, int] = PROXY, **overrides: object) -> TestClient:
        settings = settings_for(database, redis_url=redis_url, trusted_proxies=("10.0.0.0/8",), **overrides)
        client = TestClient(create_app(settings), client=peer)
        clients.append(client.__enter__())
        return client

    yield factory
    for client in clients:
        client.__exit__(None, None, None)
    if redis_url:
        purge(prefix)


def login(client: TestClient, email: str, password: str = PASSWORD, ip: str | None = None) -> int:
    headers = {"X-Forwarded-For": ip} if ip else {}
    return client.post("/v1/auth/login", json={"email": email, "password": password}, headers=headers).status_code


def test_the_per_user_limit_follows_the_user_across_addresses(make: Make, people: dict[str, Person]) -> None:
    client = make(rate_limit_user_per_min=3, rate_limit_ip_per_min=0)
    viewer = people["viewer"].headers
    for ip in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):
        assert client.get("/v1/me", headers=viewer | {"X-Forwarded-For": ip}).status_code == 200
    r = client.get("/v1/me", headers=viewer | {"X-Forwarded-For": "203.0.113.4"})
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert r.json()["detail"].startswith("Too many requests from this user")
    assert client.get("/v1/me", headers=people["manager"].headers).status_code == 200  # another user is not limited


def test_the_per_ip_limit_counts_the_forwarded_address_only_from_a_trusted_proxy(
    make: Make, people: dict[str, Person]
) -> None:
    behind_proxy = make(PROXY, rate_limit_ip_per_min=2, rate_limit_user_per_min=0)
    h = people["viewer"].headers
    one, other = h | {"X-Forwarded-For": "203.0.113.10"}, h | {"X-Forwarded-For": "203.0.113.11"}
    assert [behind_proxy.get("/v1/me", headers=one).status_code for _ in range(3)] == [200, 200, 429]
    assert behind_proxy.get("/v1/me", headers=other).status_code == 200  # the proxy vouches for another client
    # A forged leftmost entry changes nothing: the proxy appended the address it saw, the rightmost.
    forged = h | {"X-Forwarded-For": "198.51.100.99, 203.0.113.10"}
    assert behind_proxy.get("/v1/me", headers=forged).status_code == 429

    direct = make(STRANGER, rate_limit_ip_per_min=2, rate_limit_user_per_min=0)
    spoofed = [direct.get("/v1/me", headers=h | {"X-Forwarded-For": f"203.0.113.{n}"}) for n in (20, 21, 22)]
    assert [r.status_code for r in spoofed] == [200, 200, 429]  # an untrusted peer cannot dodge with the header


@pytest.mark.parametrize("limits", [{}, {"rate_limit_ip_per_min": 0, "rate_limit_user_per_min": 0}], ids=["on", "off"])
def test_the_audit_log_records_the_address_the_trusted_proxy_saw(
    make: Make, people: dict[str, Person], owner: psycopg.Connection, limits: dict[str, int]
) -> None:
    """With both limits off there is no rate limit layer to resolve it; the handler's lookup does the same."""
    make(PROXY, **limits).post(
        "/v1/auth/login",
        json={"email": people["viewer"].email, "password": "wrong password!!"},
        headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.30"},
    )
    make(STRANGER, **limits).post(
        "/v1/auth/login",
        json={"email": people["viewer"].email, "password": "wrong password!!"},
        headers={"X-Forwarded-For": "203.0.113.31"},
    )
    ips = [str(r[0]) for r in owner.execute("select host(ip) from audit_log where action = 'auth.login_failed'")]
    assert ips == ["203.0.113.30", "192.0.2.9"]


def test_sign_in_locks_out_an_address_after_four_times_the_per_email_limit(
    make: Make, people: dict[str, Person]
) -> None:
    client = make(login_max_failures=2, rate_limit_ip_per_min=0, rate_limit_user_per_min=0)
    attacker, colleague = "203.0.113.40", "203.0.113.41"
    for n in range(8):  # 4 times 2 failures, each for another (unknown) email: no email lock is reached
        assert login(client, f"guess{n}@example.com", "wrong password!!", ip=attacker) == 401
    assert login(client, people["viewer"].email, ip=attacker) == 429  # the right password, a fresh email
    assert login(client, people["viewer"].email, ip=colleague) == 200  # the same account from elsewhere


def test_a_wrong_current_password_on_patch_me_counts_as_a_failed_sign_in(make: Make, people: dict[str, Person]) -> None:
    client = make(login_max_failures=2, rate_limit_ip_per_min=0, rate_limit_user_per_min=0)
    viewer = people["viewer"]
    body = {"password": "a brand new passphrase", "current_password": "not my password"}
    for _ in range(2):
        r = client.patch("/v1/me", json=body, headers=viewer.headers)
        assert r.status_code == 422 and r.json()["errors"][0]["path"] == "$.current_password"
    assert login(client, viewer.email) == 429  # a stolen access token cannot guess at leisure
    right = client.patch("/v1/me", json=body | {"current_password": PASSWORD}, headers=viewer.headers)
    assert right.status_code == 429  # locked for PATCH too, even with the right password
    assert login(client, people["manager"].email) == 200


def test_deleting_an_item_with_a_stale_if_match_is_412_and_keeps_it(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection
) -> None:
    h = people["manager"].headers
    created = client.post(
        "/v1/items", json={"item_number": "SALT", "name": "Salt", "unit": "kg", "category": "dry goods"}, headers=h
    )
    assert created.status_code == 201
    item, stale = created.json()["id"], created.headers["etag"]
    assert (
        client.patch(f"/v1/items/{item}", json={"name": "Sea salt"}, headers=h | {"If-Match": stale}).status_code == 200
    )
    r = client.delete(f"/v1/items/{item}", headers=h | {"If-Match": stale})
    assert r.status_code == 412
    assert owner.execute("select name from item where id = %s", (item,)).fetchone() == ("Sea salt",)
    assert client.get(f"/v1/items/{item}", headers=h).status_code == 200
    current = client.get(f"/v1/items/{item}", headers=h).headers["etag"]
    assert client.delete(f"/v1/items/{item}", headers=h | {"If-Match": current}).status_code == 204
