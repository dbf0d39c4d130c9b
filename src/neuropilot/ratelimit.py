"""Request rate limits per client IP and per user, and failed-login limits per email and per IP (CONTRACT §6).

Counters are fixed windows that open at a key's first event and close `window_s` later. They live in this
process (`MemoryLimiter`) or, when REDIS_URL is set, in Redis (`RedisLimiter`), shared by every instance.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import ipaddress
import math
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any, Protocol, TypeVar

import redis.asyncio as aioredis
import structlog
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from neuropilot.config import ConfigError, Settings
from neuropilot.errors import problem_response

log = structlog.get_logger("neuropilot")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
T = TypeVar("T")

REDIS_PREFIX = "neuropilot:rl:"
EXEMPT_PATHS = frozenset({"/health", "/live", "/ready", "/metrics"})  # probes: probes.py says why


# --- client address -------------------------------------------------------------------------------------------


def parse_networks(cidrs: Iterable[str]) -> tuple[Network, ...]:
    networks: list[Network] = []
    for cidr in cidrs:
        try:
            networks.append(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError:
            raise ConfigError(f"NEUROPILOT_TRUSTED_PROXIES: {cidr!r} is not an IP address or CIDR") from None
    return tuple(networks)


@functools.lru_cache(maxsize=4096)  # bounded: X-Forwarded-For entries are the client's to choose
def _address(text: str) -> Address | None:
    """An address from a peer or X-Forwarded-For entry (tolerating `1.2.3.4:80` and `[::1]:80`); None if malformed."""
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def _trusted(addr: Address, trusted: Sequence[Network]) -> bool:
    return any(addr.version == net.version and addr in net for net in trusted)


def _forwarded_for(scope: Scope) -> list[str]:
    values = [bytes(v).decode("latin-1") for k, v in scope.get("headers", []) if k == b"x-forwarded-for"]
    return [part for part in ",".join(values).split(",") if part.strip()]


def client_ip(scope: Scope, trusted: Sequence[Network]) -> str:
    """The caller's address: the socket peer, or, when the peer is a trusted proxy, the nearest untrusted hop.

    X-Forwarded-For is read from the right: each trusted proxy appends the address it saw, so the first
    untrusted entry from the right is the last one a trusted machine vouched for. Anything left of it
    was written by the client and is ignored, so a forged leftmost entry changes nothing.
    """
    client = scope.get("client")
    peer_text = str(client[0]) if client else "unknown"
    peer = _address(peer_text)
    if peer is None or not _trusted(peer, trusted):
        return str(peer) if peer is not None else peer_text
    hops = [addr for addr in map(_address, _forwarded_for(scope)) if addr is not None]
    for addr in reversed(hops):
        if not _trusted(addr, trusted):
            return str(addr)
    # Every hop is one of ours (a caller inside the trusted network): the leftmost is the origin.
    return str(hops[0]) if hops else str(peer)


def _bucket(ip: str) -> str:
    """The unit counted per IP: one address for IPv4, its /64 for IPv6 (one host usually owns a whole /64)."""
    addr = _address(ip)
    if isinstance(addr, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((addr, 64), strict=False))
    return ip


def _seconds(delta_s: float) -> int:
    return max(1, math.ceil(delta_s))


# --- counters --------------------------------------------------------------------------------------------------


class Limiter(Protocol):
    async def hit(self, key: str, limit: int, window_s: int) -> int | None:
        """Record one event; None while the window holds ≤ limit events, else seconds until it closes."""

    async def count(self, key: str, window_s: int) -> int:
        """Events in the key's open window, without recording one."""

    async def retry_in(self, key: str) -> int:
        """Seconds (≥ 1) until the key's open window closes; 0 when none is open."""

    async def reset(self, key: str) -> None: ...

    async def aclose(self) -> None: ...


@dataclass
class _Window:
    count: int
    ends: float


class MemoryLimiter:
    """Counters in this process: each worker process and instance counts on its own.

    Memory is bounded: closed windows are swept at most once a second, and past `max_keys` open windows
    the oldest tenth is dropped (those callers start a fresh window: a flood of new keys cannot grow memory).
    """

    def __init__(self, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic) -> None:
        self._windows: dict[str, _Window] = {}
        self._max_keys = max_keys
        self._clock = clock
        self._next_sweep = 0.0

    def __len__(self) -> int:
        return len(self._windows)

    def _open(self, key: str, now: float) -> _Window | None:
        window = self._windows.get(key)
        if window is not None and window.ends <= now:
            del self._windows[key]
            return None
        return window

    def _sweep(self, now: float) -> None:
        if now >= self._next_sweep:
            self._next_sweep = now + 1.0
            self._windows = {k: w for k, w in self._windows.items() if w.ends > now}
        if len(self._windows) >= self._max_keys:
            for key in list(islice(self._windows, max(1, self._max_keys // 10))):
                del self._windows[key]

    async def hit(self, key: str, limit: int, window_s: int) -> int | None:
        now = self._clock()
        window = self._open(key, now)
        if window is None:
            self._sweep(now)
            window = self._windows[key] = _Window(0, now + window_s)
        window.count += 1
        return None if window.count <= limit else _seconds(window.ends - now)

    async def count(self, key: str, window_s: int) -> int:
        window = self._open(key, self._clock())
        return window.count if window else 0

    async def retry_in(self, key: str) -> int:
        now = self._clock()
        window = self._open(key, now)
        return _seconds(window.ends - now) if window else 0

    async def reset(self, key: str) -> None:
        self._windows.pop(key, None)

    async def aclose(self) -> None:
        self._windows.clear()


# INCR and the expiry in one atomic step; re-arming a missing TTL means no key can ever outlive its window.
_HIT_LUA = """
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
"""


class RedisLimiter:
    """Counters in Redis, shared by every instance, with a per-process fallback while Redis is away.

    Redis being down must never hang or refuse a request, so calls have short socket timeouts, no retries,
    and any failure falls back to in-process counters for `backoff_s` before Redis is tried again. That is
    failing open, for the login guard too: failing closed would lock every user out while Redis is away,
    whereas the in-process counters still hold each instance to the limits on its own.
    """

    def __init__(self, url: str, *, prefix: str = REDIS_PREFIX, timeout_s: float = 0.5, backoff_s: float = 2.0) -> None:
        self._redis = aioredis.Redis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s, retry=Retry(NoBackoff(), 0)
        )
        self._hit_script = self._redis.register_script(_HIT_LUA)
        self._prefix = prefix
        self._timeout_s = timeout_s
        self._backoff_s = backoff_s
        self._down_until: float | None = None
        self.fallback = MemoryLimiter()

    async def _call(self, op: Callable[[], Awaitable[T]], fallback: Callable[[], Awaitable[T]]) -> T:
        now = time.monotonic()
        if self._down_until is not None and now < self._down_until:
            return await fallback()
        try:
            async with asyncio.timeout(self._timeout_s * 2):  # belt and braces over the socket timeouts
                result = await op()
        except (RedisError, OSError, TimeoutError) as exc:
            if self._down_until is None:
                log.warning("ratelimit_redis_unavailable", error=type(exc).__name__, fallback="in-process")
            self._down_until = now + self._backoff_s
            return await fallback()
        if self._down_until is not None:
            log.info("ratelimit_redis_recovered")
            self._down_until = None
        return result

    async def hit(self, key: str, limit: int, window_s: int) -> int | None:
        async def op() -> int | None:
            n, ttl_ms = await self._hit_script(keys=[self._prefix + key], args=[window_s * 1000])
            return None if int(n) <= limit else _seconds(int(ttl_ms) / 1000)

        return await self._call(op, lambda: self.fallback.hit(key, limit, window_s))

    async def count(self, key: str, window_s: int) -> int:
        async def op() -> int:
            value: Any = await self._redis.get(self._prefix + key)
            return int(value or 0)

        return await self._call(op, lambda: self.fallback.count(key, window_s))

    async def retry_in(self, key: str) -> int:
        async def op() -> int:
            ttl_ms: Any = await self._redis.pttl(self._prefix + key)
            return _seconds(int(ttl_ms) / 1000) if int(ttl_ms) > 0 else 0

        return await self._call(op, lambda: self.fallback.retry_in(key))

    async def reset(self, key: str) -> None:
        async def op() -> None:
            await self._redis.delete(self._prefix + key)

        await self.fallback.reset(key)
        await self._call(op, _nothing)

    async def aclose(self) -> None:
        await self._redis.aclose()
        await self.fallback.aclose()


async def _nothing() -> None:
    return None


def build_limiter(settings: Settings) -> Limiter:
    if not settings.redis_url:
        return MemoryLimiter()
    try:
        return RedisLimiter(settings.redis_url)
    except ValueError as exc:
        raise ConfigError(f"REDIS_URL is not a Redis URL: {exc}") from None


# --- request limits ----------------------------------------------------------------------------------------------


class RateLimitMiddleware:
    """429 past `ip_per_min` requests from one client address or `user_per_min` from one user (0: no limit).

    Sits inside the authentication middleware, which puts the caller's Identity in scope["state"]. It also
    leaves the resolved client address in scope["state"]["client_ip"] for the audit log and the login guard.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        limiter: Limiter,
        ip_per_min: int,
        user_per_min: int,
        trusted_proxies: Sequence[Network] = (),
        window_s: int = 60,
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.ip_per_min = ip_per_min
        self.user_per_min = user_per_min
        self.trusted_proxies = tuple(trusted_proxies)
        self.window_s = window_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ip = scope.setdefault("state", {})["client_ip"] = client_ip(scope, self.trusted_proxies)
        if _route_path(scope) in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        limited = await self._check(scope, ip)
        if limited is None:
            await self.app(scope, receive, send)
            return
        which, retry_after = limited
        log.info("rate_limited", limit=which, retry_after=retry_after)
        state = scope["state"]
        if (metrics := state.get("metrics")) is not None:
            metrics.rate_limited.labels(which).inc()
        detail = f"Too many requests from this {'user' if which == 'user' else 'address'}; retry later."
        response = problem_response(str(state.get("request_id", "")), 429, detail, {"Retry-After": str(retry_after)})
        await response(scope, receive, send)

    async def _check(self, scope: Scope, ip: str) -> tuple[str, int] | None:
        if self.ip_per_min > 0:
            retry_after = await self.limiter.hit("ip:" + _bucket(ip), self.ip_per_min, self.window_s)
            if retry_after is not None:
                return "ip", retry_after
        user_id = getattr(scope.get("state", {}).get("identity"), "user_id", "")
        if self.user_per_min > 0 and user_id:
            retry_after = await self.limiter.hit(f"user:{user_id}", self.user_per_min, self.window_s)
            if retry_after is not None:
                return "user", retry_after
        return None


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def rate_limit_middleware(settings: Settings, limiter: Limiter) -> list[Middleware]:
    """The rate limit layer; none when both limits are off, as it would count nothing. The client address it
    leaves in the state is then resolved when a handler asks for it (audit.client_ip)."""
    if settings.rate_limit_ip_per_min < 0 or settings.rate_limit_user_per_min < 0:
        raise ConfigError("rate limits must be ≥ 0 (0 turns a limit off)")
    trusted = parse_networks(settings.trusted_proxies)
    if settings.rate_limit_ip_per_min == 0 and settings.rate_limit_user_per_min == 0:
        return []
    return [
        Middleware(
            RateLimitMiddleware,
            limiter=limiter,
            ip_per_min=settings.rate_limit_ip_per_min,
            user_per_min=settings.rate_limit_user_per_min,
            trusted_proxies=trusted,
        )
    ]


# --- failed logins -----------------------------------------------------------------------------------------------


def normalise_email(email: str) -> str:
    return email.strip().casefold()


class LoginGuard:
    """Failed logins per email (`max_failures`) and per client IP (4 times that) within `window_s`.

    The login handler asks `retry_after` before it verifies the password, so during a lockout the right
    password is refused too (else the lockout would leak which guess was right); failures for unknown
    emails count as well, so the lock says nothing about which accounts exist.
    """

    IP_FACTOR = 4

    def __init__(self, limiter: Limiter, max_failures: int, window_s: int) -> None:
        if max_failures < 1 or window_s < 1:
            raise ValueError("max_failures and window_s must be ≥ 1")
        self.limiter = limiter
        self.max_failures = max_failures
        self.window_s = window_s

    @staticmethod
    def _email_key(email: str) -> str:
        # Hashed so the counter store (Redis) holds no email addresses.
        return "login:email:" + hashlib.sha256(normalise_email(email).encode()).hexdigest()[:32]

    @staticmethod
    def _ip_key(ip: str | None) -> str:
        return "login:ip:" + _bucket(ip or "unknown")

    def _limits(self, email: str, ip: str | None) -> tuple[tuple[str, int], tuple[str, int]]:
        return (self._email_key(email), self.max_failures), (self._ip_key(ip), self.IP_FACTOR * self.max_failures)

    async def retry_after(self, email: str, ip: str | None) -> int | None:
        waits = [
            max(1, await self.limiter.retry_in(key))
            for key, limit in self._limits(email, ip)
            if await self.limiter.count(key, self.window_s) >= limit
        ]
        return max(waits) if waits else None

    async def failed(self, email: str, ip: str | None) -> None:
        for key, limit in self._limits(email, ip):
            await self.limiter.hit(key, limit, self.window_s)

    async def succeeded(self, email: str) -> None:
        # Only the email's counter: clearing the IP's too would let one valid account reset a guessing run.
        await self.limiter.reset(self._email_key(email))
