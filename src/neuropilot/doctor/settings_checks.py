"""Checks of the environment alone (CONTRACT §2, §6): no database needed."""

from __future__ import annotations

import ipaddress
import re
from datetime import UTC, date, datetime

from psycopg.conninfo import conninfo_to_dict

from neuropilot.config import ConfigError, Settings
from neuropilot.doctor.report import Check
from neuropilot.tokens import MIN_SECRET_BYTES, REFRESH_TTL_S

KEY_MAX_AGE_DAYS = 90
METRICS_TOKEN_MIN = 32
# What `neuropilot keys generate` names a key: k + its creation date (UTC) + a random suffix.
_KID_DATE = re.compile(r"^k(\d{8})(?:-|$)")
_STRONG_SSLMODES = ("require", "verify-ca", "verify-full")
_DEV_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def run(settings: Settings, today: date | None = None) -> list[Check]:
    return [
        production(settings),
        jwt_keys(settings, today or datetime.now(UTC).date()),
        cors(settings),
        limits(settings),
        redis(settings),
        metrics_token(settings),
        database_tls(settings),
    ]


def production(settings: Settings) -> Check:
    from neuropilot.app import check_production  # the very checks the server runs at start-up

    if not settings.production:
        return Check.warn("settings", "NEUROPILOT_ENV is development: the production start-up checks are not enforced")
    try:
        check_production(settings)
    except ConfigError as exc:
        return Check.fail("settings", f"production would refuse to start: {exc}")
    return Check.ok("settings", "production: DATABASE_URL set, no wildcard CORS origin, JWT keys configured")


def kid_date(kid: str) -> date | None:
    if not (match := _KID_DATE.match(kid)):
        return None
    try:
        return datetime.strptime(match[1], "%Y%m%d").replace(tzinfo=UTC).date()
    except ValueError:
        return None


def jwt_keys(settings: Settings, today: date) -> Check:
    if not settings.jwt_keys:
        if settings.production:
            return Check.fail("jwt_keys", "NEUROPILOT_JWT_KEYS is not set: run `neuropilot keys generate`")
        return Check.warn("jwt_keys", "NEUROPILOT_JWT_KEYS is not set: a development key from the data directory signs")
    short = [kid for kid, secret in settings.jwt_keys if len(secret.encode()) < MIN_SECRET_BYTES]
    if short:
        return Check.fail("jwt_keys", f"shorter than {MIN_SECRET_BYTES} bytes: {', '.join(short)}")
    problems = [p for i, (kid, _) in enumerate(settings.jwt_keys) if (p := _key_age(kid, i == 0, today))]
    if problems:
        return Check.warn("jwt_keys", "; ".join(problems))
    signer = settings.jwt_keys[0][0]
    return Check.ok("jwt_keys", f"{len(settings.jwt_keys)} key(s) of ≥ {MIN_SECRET_BYTES} bytes; {signer} signs")


def _key_age(kid: str, signs: bool, today: date) -> str | None:
    made = kid_date(kid)
    if made is None:
        return f"{kid}: no creation date in its kid (kYYYYMMDD-…, as `neuropilot keys generate` names keys)"
    age = (today - made).days
    if age <= KEY_MAX_AGE_DAYS:
        return None
    if signs:
        return f"{kid} signs and is {age} days old: generate a new key and put it first"
    keep = REFRESH_TTL_S // 86400
    return f"{kid} (verify only) is {age} days old: remove it {keep} days after the key that replaced it began signing"


def cors(settings: Settings) -> Check:
    if not settings.cors_origins:
        return Check.ok("cors", "no CORS origins: browsers on other origins cannot call the API")
    if "*" in settings.cors_origins:
        return Check.fail("cors", "NEUROPILOT_CORS_ORIGINS contains '*': list exact origins")
    plain = [o for o in settings.cors_origins if not o.startswith("https://")]
    local = [o for o in plain if o.removeprefix("http://").rsplit(":", 1)[0] in _DEV_HOSTS]
    if plain and settings.production:
        return Check.fail("cors", f"not https:// (production): {', '.join(plain)}")
    if len(local) < len(plain):
        return Check.warn("cors", f"not https://: {', '.join(o for o in plain if o not in local)}")
    return Check.ok("cors", f"{len(settings.cors_origins)} exact origin(s): {', '.join(settings.cors_origins)}")


def limits(settings: Settings) -> Check:
    off = [
        name
        for name, value in (
            ("NEUROPILOT_STATEMENT_TIMEOUT_MS", settings.statement_timeout_ms),
            ("NEUROPILOT_RATE_LIMIT_IP_PER_MIN", settings.rate_limit_ip_per_min),
            ("NEUROPILOT_RATE_LIMIT_USER_PER_MIN", settings.rate_limit_user_per_min),
            ("NEUROPILOT_LOGIN_MAX_FAILURES", settings.login_max_failures),
        )
        if value <= 0
    ]
    if off:
        return Check.fail("limits", f"off (0): {', '.join(off)}")
    return Check.ok(
        "limits",
        f"statement timeout {settings.statement_timeout_ms} ms; {settings.rate_limit_ip_per_min}/min per IP,"
        f" {settings.rate_limit_user_per_min}/min per user; {settings.login_max_failures} failed logins"
        f" per {settings.login_window_s} s",
    )


def redis(settings: Settings) -> Check:
    if not settings.redis_url:
        if settings.workers > 1:
            return Check.warn(
                "redis",
                f"NEUROPILOT_WORKERS={settings.workers} without REDIS_URL: each worker counts rate limits and login"
                " failures alone (the limits are that many times looser)",
            )
        return Check.ok("redis", "one worker, in-process counters (set REDIS_URL when several instances serve)")
    import redis as redis_client

    client = redis_client.Redis.from_url(settings.redis_url, socket_timeout=3, socket_connect_timeout=3)
    where = (
        f"{client.connection_pool.connection_kwargs.get('host')}:{client.connection_pool.connection_kwargs.get('port')}"
    )
    try:
        client.ping()
    except redis_client.RedisError as exc:
        return Check.fail("redis", f"REDIS_URL ({where}) does not answer PING: {type(exc).__name__}")
    finally:
        client.close()
    return Check.ok("redis", f"REDIS_URL ({where}) answers: rate limits and login lock-outs are shared")


def metrics_token(settings: Settings) -> Check:
    token = settings.metrics_token
    if token is None:
        if settings.production:
            return Check.fail("metrics_token", "NEUROPILOT_METRICS_TOKEN is not set: /metrics is open to anyone")
        return Check.ok("metrics_token", "not set (development): /metrics is open")
    if len(token) < METRICS_TOKEN_MIN:
        return Check.warn("metrics_token", f"shorter than {METRICS_TOKEN_MIN} characters: openssl rand -hex 32")
    return Check.ok("metrics_token", "set: /metrics needs Authorization: Bearer <token>")


def _loopback(host: str) -> bool:
    if not host or host.startswith("/") or host == "localhost":
        return True  # a Unix socket or this machine: nothing travels over a network
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def database_tls(settings: Settings) -> Check:
    if not settings.database_url:
        return Check.warn("database_tls", "DATABASE_URL is not set: not checked")
    params = conninfo_to_dict(settings.database_url)
    mode = str(params.get("sslmode", "prefer"))
    hosts = str(params.get("host") or params.get("hostaddr") or "").split(",")
    if mode in _STRONG_SSLMODES:
        return Check.ok("database_tls", f"sslmode={mode}")
    if all(_loopback(h) for h in hosts):
        return Check.ok("database_tls", f"sslmode={mode}, but the database is on this machine (loopback or socket)")
    if not settings.production:
        return Check.ok("database_tls", f"sslmode={mode} (development)")
    return Check.warn("database_tls", f"sslmode={mode}: traffic can be read or downgraded; use sslmode=verify-full")
