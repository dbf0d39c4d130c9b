"""Two `neuropilot serve` instances (separate processes, different ports) on one database and one Redis:
they count rate limits and login failures together, and a write through one is read through the other."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import httpx2
import psycopg
import pytest
import redis

from tests.conftest import PASSWORD, Person
from tests.pg import Db
from tests.serving import random_ip, serve_env, served

REDIS_URL = os.environ.get("NEUROPILOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
IP_LIMIT = 10
LOGIN_FAILURES = 3


@pytest.fixture
def redis_url() -> str:
    try:
        with redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5) as r:
            r.ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis at {REDIS_URL} is unreachable in CI: {exc}")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {exc}")
    return REDIS_URL


def test_two_instances_share_rate_limits_lockouts_and_data(
    database: Db,
    redis_url: str,
    people: dict[str, Person],
    owner: psycopg.Connection,
    password_hash: str,
    tmp_path: Path,
) -> None:
    env = serve_env(
        database,
        tmp_path / "data",
        REDIS_URL=redis_url,
        NEUROPILOT_TRUSTED_PROXIES="127.0.0.1/32",  # so each part of the test has client addresses of its own
        NEUROPILOT_RATE_LIMIT_IP_PER_MIN=str(IP_LIMIT),
        NEUROPILOT_LOGIN_MAX_FAILURES=str(LOGIN_FAILURES),
    )
    with served(env, tmp_path / "a.log") as a, served(env, tmp_path / "b.log") as b:
        assert a != b
        _rate_limit_counted_across(a, b)
        _login_lockout_shared(a, b, owner, password_hash)
        _write_on_one_read_on_the_other(a, b, people["manager"])


def _rate_limit_counted_across(a: str, b: str) -> None:
    ip = {"X-Forwarded-For": random_ip()}
    url = "{}/v1/no-such-thing"  # cheap, and counted like any route (/health and /metrics are exempt)
    statuses = [httpx2.get(url.format((a, b)[i % 2]), headers=ip, timeout=5).status_code for i in range(IP_LIMIT + 2)]
    # each instance saw 5 of the first 10: alone it would allow 5 more; together they refuse the 11th and 12th
    assert statuses == [404] * IP_LIMIT + [429, 429]
    other = httpx2.get(url.format(a), headers={"X-Forwarded-For": random_ip()}, timeout=5)
    assert other.status_code == 404  # the limit is per client address, not global


def _login_lockout_shared(a: str, b: str, owner: psycopg.Connection, password_hash: str) -> None:
    email = f"lockout-{secrets.token_hex(6)}@example.com"  # a key in Redis no other test run shares
    owner.execute(
        "insert into app_user (email, display_name, role, password_hash) values (%s, 'Lock Out', 'viewer', %s)",
        (email, password_hash),
    )

    def login(base: str, password: str) -> int:
        body = {"email": email, "password": password}
        headers = {"X-Forwarded-For": random_ip()}  # a new address each time: only the email's counter adds up
        return httpx2.post(f"{base}/v1/auth/login", json=body, headers=headers, timeout=10).status_code

    assert login(a, PASSWORD) == 200
    failures = [login((a, b)[i % 2], "not the password at all") for i in range(LOGIN_FAILURES)]
    assert failures == [401] * LOGIN_FAILURES  # 2 on A, 1 on B
    assert login(b, PASSWORD) == 429  # B refuses even the right password: the email is locked on both
    assert login(a, PASSWORD) == 429


def _write_on_one_read_on_the_other(a: str, b: str, manager: Person) -> None:
    def headers() -> dict[str, str]:
        return manager.headers | {"X-Forwarded-For": random_ip()}

    body = {"code": f"WALK{secrets.token_hex(3).upper()}", "name": "Walk-in", "temp_zone": "cooler"}
    created = httpx2.post(f"{a}/v1/locations", json=body, headers=headers(), timeout=10)
    assert created.status_code == 201, created.text
    read = httpx2.get(f"{b}/v1/locations/{created.json()['id']}", headers=headers(), timeout=10)
    assert read.status_code == 200 and read.json() == created.json()
    etag = read.headers["etag"]
    patched = httpx2.patch(
        f"{b}/v1/locations/{created.json()['id']}",
        json={"name": "Walk-in cooler"},
        headers=headers() | {"If-Match": etag},
        timeout=10,
    )
    assert patched.status_code == 200, patched.text
    again = httpx2.get(f"{a}/v1/locations/{created.json()['id']}", headers=headers(), timeout=10)
    assert again.json()["name"] == "Walk-in cooler" and again.headers["etag"] == patched.headers["etag"]
