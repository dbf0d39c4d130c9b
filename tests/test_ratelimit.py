"""Rate limits and the login guard, on both counter stores, each rule attacked from the client's side."""

from __future__ import annotations

import os
import secrets
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager

import anyio
import pytest
import redis
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from neuropilot import audit
from neuropilot.config import ConfigError, Settings
from neuropilot.db import Identity
from neuropilot.ratelimit import (
    REDIS_PREFIX,
    Limiter,
    LoginGuard,
    MemoryLimiter,
    RedisLimiter,
    build_limiter,
    client_ip,
    parse_networks,
    rate_limit_middleware,
)

REDIS_URL = os.environ.get("NEUROPILOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CLOSED_PORT_URL = "redis://127.0.0.1:1/0"

LimiterFactory = Callable[[], Limiter]


# --- fixtures ------------------------------------------------------------------------------------------------------


def redis_or_skip() -> str:
    try:
        with redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5) as r:
            r.ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis at {REDIS_URL} is unreachable in CI: {exc}")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {exc}")
    return REDIS_URL


def purge(prefix: str) -> None:
    with redis.Redis.from_url(REDIS_URL) as r:
        keys = list(r.scan_iter(match=prefix + "*", count=500))
        if keys:
            r.delete(*keys)


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A namespace of this test's own under the app's prefix; only its keys are removed afterwards."""
    redis_or_skip()
    prefix = f"{REDIS_PREFIX}test-{secrets.token_hex(6)}:"
    yield prefix
    purge(prefix)


@pytest.fixture(params=["memory", "redis"])
def make_limiter(request: pytest.FixtureRequest) -> LimiterFactory:
    if request.param == "memory":
        return MemoryLimiter
    prefix: str = request.getfixturevalue("redis_prefix")
    return lambda: RedisLimiter(REDIS_URL, prefix=prefix)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def limiter(make_limiter: LimiterFactory, anyio_backend: str) -> AsyncIterator[Limiter]:
    store = make_limiter()
    try:
        yield store
    finally:
        await store.aclose()


# --- a tiny app wrapped in the middleware -----------------------------------------------------------------------


class PeerAndIdentity:
    """Outermost test layer: the socket peer from `x-test-peer`, the verified identity from `x-test-user`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            if b"x-test-peer" in headers:
                scope["client"] = (headers[b"x-test-peer"].decode(), 40000)
            state = scope.setdefault("state", {})
            state["request_id"] = "req-test"
            if b"x-test-user" in headers:
                state["identity"] = Identity(user_id=headers[b"x-test-user"].decode(), role="viewer")
        await self.app(scope, receive, send)


async def ok(request: Request) -> Response:
    return PlainTextResponse(audit.client_ip(request) or "")  # as the handlers read it


def make_app(limiter: Limiter, *, ip: int = 3, user: int = 1000, trusted: Sequence[str] = ()) -> Starlette:
    settings = Settings(rate_limit_ip_per_min=ip, rate_limit_user_per_min=user, trusted_proxies=tuple(trusted))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await limiter.aclose()  # on the loop that opened its connections

    return Starlette(
        routes=[Route("/", ok), Route("/health", ok), Route("/metrics", ok)],
        middleware=[Middleware(PeerAndIdentity), *rate_limit_middleware(settings, limiter)],
        lifespan=lifespan,
    )


def get(client: TestClient, path: str = "/", **headers: str) -> int:
    return client.get(path, headers={k.replace("_", "-"): v for k, v in headers.items()}).status_code


def statuses(client: TestClient, n: int, path: str = "/", **headers: str) -> list[int]:
    return [get(client, path, **headers) for _ in range(n)]


# --- client_ip ------------------------------------------------------------------------------------------------------

TRUSTED = parse_networks(["10.0.0.0/8", "2001:db8:ffff::/48"])


def scope_of(peer: str | None, *forwarded: str) -> Scope:
    return {
        "type": "http",
        "client": (peer, 1234) if peer is not None else None,
        "headers": [(b"x-forwarded-for", value.encode()) for value in forwarded],
    }


def test_untrusted_peer_forwarded_for_is_ignored() -> None:
    assert client_ip(scope_of("203.0.113.9", "198.51.100.1"), TRUSTED) == "203.0.113.9"
    assert client_ip(scope_of("203.0.113.9", "198.51.100.1"), ()) == "203.0.113.9"


def test_trusted_peer_takes_rightmost_untrusted_hop() -> None:
    # The client forged "1.1.1.1"; the proxy appended what it saw, 198.51.100.7.
    assert client_ip(scope_of("10.0.0.2", "1.1.1.1, 198.51.100.7"), TRUSTED) == "198.51.100.7"
    assert client_ip(scope_of("10.0.0.2", "1.1.1.1, 198.51.100.7, 10.1.2.3"), TRUSTED) == "198.51.100.7"


def test_multiple_forwarded_for_headers_are_one_list() -> None:
    assert client_ip(scope_of("10.0.0.2", "1.1.1.1", "198.51.100.7"), TRUSTED) == "198.51.100.7"


def test_malformed_hops_are_skipped_and_ports_dropped() -> None:
    assert client_ip(scope_of("10.0.0.2", "198.51.100.7, not-an-ip, , 10.0.0.9"), TRUSTED) == "198.51.100.7"
    assert client_ip(scope_of("10.0.0.2", "198.51.100.7:5555"), TRUSTED) == "198.51.100.7"
    assert client_ip(scope_of("10.0.0.2", "[2001:db8::1]:443"), TRUSTED) == "2001:db8::1"


def test_trusted_peer_without_usable_forwarded_for_is_the_client() -> None:
    assert client_ip(scope_of("10.0.0.2"), TRUSTED) == "10.0.0.2"
    assert client_ip(scope_of("10.0.0.2", "garbage"), TRUSTED) == "10.0.0.2"


def test_all_hops_trusted_gives_the_leftmost() -> None:
    assert client_ip(scope_of("10.0.0.2", "10.9.9.9, 10.0.0.5"), TRUSTED) == "10.9.9.9"


def test_addresses_are_canonical() -> None:
    assert client_ip(scope_of("::ffff:203.0.113.9"), ()) == "203.0.113.9"
    assert client_ip(scope_of("2001:DB8:0::1"), ()) == "2001:db8::1"
    assert client_ip(scope_of("2001:db8:ffff::2", "2001:0db8::0001"), TRUSTED) == "2001:db8::1"


def test_peer_that_is_not_an_address() -> None:
    assert client_ip(scope_of("testclient", "1.2.3.4"), TRUSTED) == "testclient"
    assert client_ip(scope_of(None, "1.2.3.4"), TRUSTED) == "unknown"


def test_parse_networks() -> None:
    assert [str(n) for n in parse_networks([" 10.0.0.0/8", "192.0.2.1", "::1/128"])] == [
        "10.0.0.0/8",
        "192.0.2.1/32",
        "::1/128",
    ]
    with pytest.raises(ConfigError, match=r"10\.0\.0\.0/33"):
        parse_networks(["10.0.0.0/33"])
    with pytest.raises(ConfigError):
        parse_networks(["proxy.internal"])


# --- the counters themselves, on both stores ----------------------------------------------------------------------


@pytest.mark.anyio
async def test_hit_allows_exactly_limit_then_tells_when(limiter: Limiter) -> None:
    assert [await limiter.hit("k", 3, 60) for _ in range(3)] == [None, None, None]
    retry = await limiter.hit("k", 3, 60)
    assert retry is not None
    assert 1 <= retry <= 60
    assert await limiter.hit("other", 3, 60) is None


@pytest.mark.anyio
async def test_count_and_retry_in_do_not_record(limiter: Limiter) -> None:
    assert await limiter.count("k", 60) == 0
    assert await limiter.retry_in("k") == 0
    await limiter.hit("k", 5, 60)
    await limiter.hit("k", 5, 60)
    assert [await limiter.count("k", 60) for _ in range(3)] == [2, 2, 2]
    assert 1 <= await limiter.retry_in("k") <= 60


@pytest.mark.anyio
async def test_reset_clears_one_key(limiter: Limiter) -> None:
    for key in ("a", "a", "b"):
        await limiter.hit(key, 1, 60)
    await limiter.reset("a")
    assert await limiter.count("a", 60) == 0
    assert await limiter.count("b", 60) == 1
    assert await limiter.hit("a", 1, 60) is None


@pytest.mark.anyio
async def test_window_expires(limiter: Limiter) -> None:
    assert await limiter.hit("k", 1, 1) is None
    assert await limiter.hit("k", 1, 1) == 1
    await anyio.sleep(1.1)
    assert await limiter.count("k", 1) == 0
    assert await limiter.hit("k", 1, 1) is None


@pytest.mark.anyio
async def test_memory_store_is_bounded() -> None:
    now = [0.0]
    store = MemoryLimiter(max_keys=100, clock=lambda: now[0])
    for i in range(50):
        await store.hit(f"old{i}", 10, 5)
    now[0] = 6.0  # every window above has closed: the next new key sweeps them out
    await store.hit("fresh", 10, 5)
    assert len(store) == 1
    for i in range(1000):  # a flood of new keys inside one window
        await store.hit(f"flood{i}", 10, 60)
    assert len(store) <= 100
    assert await store.count("flood999", 60) == 1


@pytest.mark.anyio
async def test_redis_keys_carry_the_prefix_and_expire(redis_prefix: str, anyio_backend: str) -> None:
    store = RedisLimiter(REDIS_URL, prefix=redis_prefix)
    try:
        await store.hit("ip:192.0.2.1", 10, 60)
    finally:
        await store.aclose()
    with redis.Redis.from_url(REDIS_URL) as r:
        assert r.get(redis_prefix + "ip:192.0.2.1") == b"1"
        assert 0 < int(r.pttl(redis_prefix + "ip:192.0.2.1")) <= 60_000


@pytest.mark.anyio
async def test_two_redis_limiters_share_counters(redis_prefix: str, anyio_backend: str) -> None:
    first, second = RedisLimiter(REDIS_URL, prefix=redis_prefix), RedisLimiter(REDIS_URL, prefix=redis_prefix)
    try:
        assert await first.hit("k", 2, 60) is None
        assert await second.hit("k", 2, 60) is None
        assert await first.hit("k", 2, 60) is not None
        assert await second.count("k", 60) == 3
    finally:
        await first.aclose()
        await second.aclose()


# --- Redis away: fail open, fast ---------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_redis_on_a_closed_port_fails_open_fast(anyio_backend: str) -> None:
    store = RedisLimiter(CLOSED_PORT_URL)
    started = time.monotonic()
    try:
        assert await store.hit("k", 100, 60) is None
        assert await store.count("k", 60) == 1  # the in-process fallback counted it
        await store.reset("k")
    finally:
        await store.aclose()
    assert time.monotonic() - started < 2


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A TCP port that accepts connections (the kernel's backlog) and never answers: a hung Redis."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"redis://127.0.0.1:{sock.getsockname()[1]}/0"


@pytest.mark.anyio
async def test_redis_that_never_answers_fails_open_within_the_timeout(silent_server: str, anyio_backend: str) -> None:
    store = RedisLimiter(silent_server)
    started = time.monotonic()
    try:
        with anyio.fail_after(3):  # a hang fails the test instead of stalling the suite
            assert await store.hit("k", 100, 60) is None
            first = time.monotonic() - started
            for _ in range(20):  # while Redis is marked down nothing waits on it again
                await store.hit("k", 100, 60)
    finally:
        await store.aclose()
    assert first < 2
    assert time.monotonic() - started < 2


@pytest.mark.anyio
async def test_fallback_still_limits_while_redis_is_away(anyio_backend: str) -> None:
    store = RedisLimiter(CLOSED_PORT_URL)
    guard = LoginGuard(store, max_failures=2, window_s=60)
    try:
        await guard.failed("a@example.com", "192.0.2.1")
        await guard.failed("a@example.com", "192.0.2.1")
        assert await guard.retry_after("a@example.com", "192.0.2.1") is not None
        assert await guard.retry_after("b@example.com", "192.0.2.1") is None
    finally:
        await store.aclose()


def test_app_with_redis_down_serves_quickly() -> None:
    app = make_app(RedisLimiter(CLOSED_PORT_URL), ip=1000, user=1000)
    started = time.monotonic()
    with TestClient(app) as c:
        assert statuses(c, 5, x_test_user="u1") == [200] * 5
    assert time.monotonic() - started < 2


@pytest.mark.anyio
async def test_build_limiter(anyio_backend: str) -> None:
    assert isinstance(build_limiter(Settings()), MemoryLimiter)
    store = build_limiter(Settings(redis_url=REDIS_URL))  # lazy: connects on first use
    assert isinstance(store, RedisLimiter)
    await store.aclose()
    with pytest.raises(ConfigError, match="REDIS_URL"):
        build_limiter(Settings(redis_url="http://example.com/"))


# --- the middleware -------------------------------------------------------------------------------------------------


def test_ip_limit_answers_429_after_exactly_n(make_limiter: LimiterFactory) -> None:
    with TestClient(make_app(make_limiter(), ip=3)) as c:
        assert statuses(c, 3) == [200, 200, 200]
        r = c.get("/")
    assert r.status_code == 429
    assert r.headers["content-type"] == "application/problem+json"
    assert 1 <= int(r.headers["retry-after"]) <= 60
    body = r.json()
    assert body["status"] == 429
    assert body["request_id"] == "req-test"


def test_ip_limit_is_per_address(make_limiter: LimiterFactory) -> None:
    with TestClient(make_app(make_limiter(), ip=2)) as c:
        assert statuses(c, 3, x_test_peer="203.0.113.1") == [200, 200, 429]
        assert statuses(c, 2, x_test_peer="203.0.113.2") == [200, 200]
        assert get(c, x_test_peer="203.0.113.1") == 429


def test_ipv6_addresses_of_one_slash_64_share_a_limit(make_limiter: LimiterFactory) -> None:
    with TestClient(make_app(make_limiter(), ip=2)) as c:
        assert get(c, x_test_peer="2001:db8:1:2::1") == 200
        assert get(c, x_test_peer="2001:db8:1:2:ffff::9") == 200
        assert get(c, x_test_peer="2001:db8:1:2::abcd") == 429
        assert get(c, x_test_peer="2001:db8:1:3::1") == 200


def test_testclient_peer_is_limited_too(make_limiter: LimiterFactory) -> None:
    with TestClient(make_app(make_limiter(), ip=1)) as c:
        assert statuses(c, 2) == [200, 429]  # peer "testclient" is not an address, and still a key


def test_forwarded_for_from_an_untrusted_peer_cannot_dodge(make_limiter: LimiterFactory) -> None:
    app = make_app(make_limiter(), ip=2, trusted=["10.0.0.0/8"])
    with TestClient(app, client=("203.0.113.9", 1234)) as c:
        codes = [get(c, x_forwarded_for=f"198.51.100.{i}") for i in range(4)]
    assert codes == [200, 200, 429, 429]


def test_forwarded_for_from_a_trusted_proxy_is_honoured(make_limiter: LimiterFactory) -> None:
    app = make_app(make_limiter(), ip=2, trusted=["10.0.0.0/8"])
    with TestClient(app, client=("10.0.0.2", 1234)) as c:
        assert statuses(c, 3, x_forwarded_for="198.51.100.1") == [200, 200, 429]
        assert statuses(c, 2, x_forwarded_for="198.51.100.2") == [200, 200]  # another client behind the proxy


def test_forged_leftmost_entry_behind_a_trusted_proxy_cannot_dodge(make_limiter: LimiterFactory) -> None:
    app = make_app(make_limiter(), ip=2, trusted=["10.0.0.0/8"])
    with TestClient(app, client=("10.0.0.2", 1234)) as c:
        # The client sends X-Forwarded-For: <random>; the proxy appends the real 198.51.100.1.
        codes = [get(c, x_forwarded_for=f"192.0.2.{i}, 198.51.100.1") for i in range(4)]
    assert codes == [200, 200, 429, 429]


def test_health_and_metrics_are_exempt_and_free(make_limiter: LimiterFactory) -> None:
    with TestClient(make_app(make_limiter(), ip=2, user=2)) as c:
        assert statuses(c, 10, "/health", x_test_user="u1") == [200] * 10
        assert statuses(c, 10, "/metrics") == [200] * 10
        assert statuses(c, 3) == [200, 200, 429]  # they did not spend the budget
        assert get(c, "/health") == 200  # and stay reachable while the caller is limited


def test_user_limit_follows_the_user_across_addresses(make_limiter: LimiterFactory) -> None:
    with TestClient(make_app(make_limiter(), ip=100, user=3)) as c:
        codes = [get(c, x_test_user="alice", x_test_peer=f"203.0.113.{i}") for i in range(4)]
        assert codes == [200, 200, 200, 429]
        r = c.get("/", headers={"x-test-user": "alice"})
        assert r.status_code == 429
        assert "user" in r.json()["detail"]
        assert int(r.headers["retry-after"]) >= 1
        assert statuses(c, 3, x_test_user="bob") == [200, 200, 200]
        assert get(c) == 200  # anonymous from the same address is counted per IP only


def test_zero_turns_a_limit_off(make_limiter: LimiterFactory) -> None:
    with TestClient(make_app(make_limiter(), ip=0, user=0)) as c:
        assert statuses(c, 20, x_test_user="alice") == [200] * 20


def test_with_both_limits_off_there_is_no_layer() -> None:
    def layers(ip: int, user: int) -> int:
        settings = Settings(rate_limit_ip_per_min=ip, rate_limit_user_per_min=user)
        return len(rate_limit_middleware(settings, MemoryLimiter()))

    assert (layers(0, 0), layers(0, 1), layers(1, 0)) == (0, 1, 1)


def test_negative_limit_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        rate_limit_middleware(Settings(rate_limit_ip_per_min=-1), MemoryLimiter())
    with pytest.raises(ConfigError):
        rate_limit_middleware(Settings(trusted_proxies=("10.0.0.0/99",)), MemoryLimiter())


def test_two_app_instances_share_redis_counters(redis_prefix: str) -> None:
    first = make_app(RedisLimiter(REDIS_URL, prefix=redis_prefix), ip=3)
    second = make_app(RedisLimiter(REDIS_URL, prefix=redis_prefix), ip=3)
    with TestClient(first) as a, TestClient(second) as b:
        assert [get(a), get(b), get(a), get(b)] == [200, 200, 200, 429]
        assert get(a) == 429


def test_resolved_client_ip_is_left_for_the_handlers(make_limiter: LimiterFactory) -> None:
    app = make_app(make_limiter(), ip=100, trusted=["10.0.0.0/8"])
    with TestClient(app, client=("10.0.0.2", 1234)) as c:
        assert c.get("/", headers={"x-forwarded-for": "192.0.2.1, 198.51.100.1"}).text == "198.51.100.1"
        assert c.get("/health", headers={"x-forwarded-for": "198.51.100.2"}).text == "198.51.100.2"
        assert c.get("/").text == "10.0.0.2"


# --- the login guard ------------------------------------------------------------------------------------------------

RIGHT = "correct horse battery staple"


async def attempt(guard: LoginGuard, email: str, password: str, ip: str = "192.0.2.1") -> int:
    """What the login handler does: ask the guard first, then check the password."""
    if await guard.retry_after(email, ip) is not None:
        return 429
    if password != RIGHT:
        await guard.failed(email, ip)
        return 401
    await guard.succeeded(email)
    return 200


@pytest.mark.anyio
async def test_email_locks_after_max_failures_even_for_the_right_password(limiter: Limiter) -> None:
    guard = LoginGuard(limiter, max_failures=3, window_s=60)
    assert [await attempt(guard, "a@example.com", "wrong") for _ in range(3)] == [401, 401, 401]
    assert await attempt(guard, "a@example.com", RIGHT) == 429
    retry = await guard.retry_after("a@example.com", "192.0.2.1")
    assert retry is not None
    assert 1 <= retry <= 60
    assert await attempt(guard, "a@example.com", RIGHT, ip="198.51.100.5") == 429  # per email, from anywhere


@pytest.mark.anyio
async def test_other_accounts_are_unaffected(limiter: Limiter) -> None:
    guard = LoginGuard(limiter, max_failures=3, window_s=60)
    for _ in range(3):
        await attempt(guard, "a@example.com", "wrong")
    assert await attempt(guard, "b@example.com", RIGHT) == 200


@pytest.mark.anyio
async def test_email_is_normalised(limiter: Limiter) -> None:
    guard = LoginGuard(limiter, max_failures=3, window_s=60)
    for email in ("A@Example.com", "a@example.com ", " A@EXAMPLE.COM"):
        await attempt(guard, email, "wrong")
    assert await guard.retry_after("a@example.com", "198.51.100.5") is not None


@pytest.mark.anyio
async def test_ip_locks_at_four_times_max_failures(limiter: Limiter) -> None:
    guard = LoginGuard(limiter, max_failures=2, window_s=60)
    ip = "203.0.113.50"
    for i in range(8):  # 4 x 2, each on a different account so no email locks
        assert await attempt(guard, f"user{i}@example.com", "wrong", ip) == 401
    assert await attempt(guard, "fresh@example.com", RIGHT, ip) == 429
    assert await attempt(guard, "fresh@example.com", RIGHT, "203.0.113.51") == 200


@pytest.mark.anyio
async def test_ip_lock_is_not_reached_one_short(limiter: Limiter) -> None:
    guard = LoginGuard(limiter, max_failures=2, window_s=60)
    for i in range(7):
        await attempt(guard, f"user{i}@example.com", "wrong")
    assert await attempt(guard, "fresh@example.com", RIGHT) == 200


@pytest.mark.anyio
async def test_success_clears_the_email_but_not_the_ip(limiter: Limiter) -> None:
    guard = LoginGuard(limiter, max_failures=3, window_s=60)
    ip = "203.0.113.60"
    for _ in range(2):
        await attempt(guard, "a@example.com", "wrong", ip)
    assert await attempt(guard, "A@example.com", RIGHT, ip) == 200
    assert [await attempt(guard, "a@example.com", "wrong", ip) for _ in range(2)] == [401, 401]
    assert await attempt(guard, "a@example.com", RIGHT, ip) == 200  # 2 < 3 again: the earlier two were cleared
    for i in range(8):
        await attempt(guard, f"other{i}@example.com", "wrong", ip)
    assert await attempt(guard, "a@example.com", RIGHT, ip) == 429  # 4 + 8 ≥ 12 failures from this IP


@pytest.mark.anyio
async def test_lockout_ends_with_the_window(limiter: Limiter) -> None:
    guard = LoginGuard(limiter, max_failures=2, window_s=1)
    for _ in range(2):
        await attempt(guard, "a@example.com", "wrong")
    assert await guard.retry_after("a@example.com", "192.0.2.1") == 1
    await anyio.sleep(1.1)  # real time: Redis expires keys by its own clock
    assert await attempt(guard, "a@example.com", RIGHT) == 200


@pytest.mark.anyio
async def test_unknown_ip_is_one_bucket_not_an_error(limiter: Limiter) -> None:
    guard = LoginGuard(limiter, max_failures=1, window_s=60)
    await guard.failed("a@example.com", None)
    for i in range(3):
        await guard.failed(f"user{i}@example.com", None)
    assert await guard.retry_after("fresh@example.com", None) is not None
    assert await guard.retry_after("fresh@example.com", "192.0.2.1") is None


def test_guard_refuses_nonsense_settings() -> None:
    with pytest.raises(ValueError, match="max_failures"):
        LoginGuard(MemoryLimiter(), max_failures=0, window_s=60)
    with pytest.raises(ValueError, match="window_s"):
        LoginGuard(MemoryLimiter(), max_failures=5, window_s=0)
