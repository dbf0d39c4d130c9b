"""Settings, read once from the environment (CONTRACT §2). Secrets never live in code."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


class ConfigError(Exception):
    """The environment does not describe a runnable service."""


def sql_dir() -> Path:
    """The sql/ tree: inside the package when installed from a wheel, else the checkout's."""
    packaged = Path(__file__).parent / "sql"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "sql"


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    if value < 1:
        raise ConfigError(f"{name} must be at least 1, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None


def _timeout(env: Mapping[str, str], name: str, default: float) -> float:
    value = _float(env, name, default)
    if not 0 < value <= 3600:  # also refuses nan and inf
        raise ConfigError(f"{name} must be more than 0 and at most 3600 seconds, got {value}")
    return value


def _list(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in env.get(name, "").split(",") if part.strip())


_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?$")


def _origins(origins: tuple[str, ...]) -> tuple[str, ...]:
    """Exact origins (scheme://host[:port], nothing after): anything else could never match."""
    for origin in origins:
        if origin != "*" and not _ORIGIN.match(origin):
            raise ConfigError(f"NEUROPILOT_CORS_ORIGINS: {origin!r} is not an origin like https://app.example.com")
    return origins


def _keys(raw: str) -> tuple[tuple[str, str], ...]:
    keys: list[tuple[str, str]] = []
    for part in (p.strip() for p in raw.split(",") if p.strip()):
        kid, sep, secret = part.partition(":")
        if not sep or not kid or not secret:
            raise ConfigError("NEUROPILOT_JWT_KEYS is a comma list of kid:secret")
        keys.append((kid, secret))
    if len({kid for kid, _ in keys}) != len(keys):
        raise ConfigError("NEUROPILOT_JWT_KEYS names one kid twice")
    return tuple(keys)


def _workers(env: Mapping[str, str]) -> int:
    workers = _int(env, "NEUROPILOT_WORKERS", 1)
    if not 1 <= workers <= 64:
        raise ConfigError(f"NEUROPILOT_WORKERS must be 1 to 64, got {workers}")
    return workers


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    migrator_database_url: str | None = None
    database_read_url: str | None = None
    env: str = "development"
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    app_role: str = "neuropilot_app"
    statement_timeout_ms: int = 5000
    slow_query_ms: int = 100
    pool_min_size: int = 2
    pool_max_size: int = 10
    pool_timeout_s: float = 1.0
    shutdown_grace_s: int = 20
    # Request heads (httpguard.py): one line (request line or header), all headers, their number, and
    # the seconds a client has to finish them.
    max_header_line_bytes: int = 8 * 1024
    max_header_bytes: int = 64 * 1024
    max_headers: int = 100
    header_timeout_s: float = 10.0
    # Off for PgBouncer in transaction mode (Neon's pooled endpoints): no server-side prepared statements.
    prepared_statements: bool = True
    cors_origins: tuple[str, ...] = ()
    trusted_proxies: tuple[str, ...] = ()
    # (kid, secret) pairs; the first signs, all verify. Empty: a development key kept in data_dir.
    jwt_keys: tuple[tuple[str, str], ...] = ()
    rate_limit_ip_per_min: int = 600
    rate_limit_user_per_min: int = 1200
    login_max_failures: int = 5
    login_window_s: int = 900
    redis_url: str | None = None
    metrics_token: str | None = None
    data_dir: Path = field(default_factory=lambda: Path(".neuropilot"))
    backup_dir: Path = field(default_factory=lambda: Path(".neuropilot/backups"))
    backup_remote: str | None = None
    backup_passphrase_file: Path | None = None
    backup_keep_daily: int = 7
    backup_keep_weekly: int = 4

    @property
    def backup_metrics_file(self) -> Path:
        """The node_exporter textfile the backup job writes and /metrics reads."""
        return self.backup_dir / "neuropilot_backup.prom"

    @property
    def production(self) -> bool:
        return self.env == "production"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        mode = env.get("NEUROPILOT_ENV", "development").strip() or "development"
        if mode not in ("development", "production"):
            raise ConfigError(f"NEUROPILOT_ENV must be development or production, got {mode!r}")
        prepared = env.get("NEUROPILOT_PREPARED_STATEMENTS", "on").strip().lower()
        if prepared not in ("on", "off", "true", "false", "1", "0"):
            raise ConfigError(f"NEUROPILOT_PREPARED_STATEMENTS must be on or off, got {prepared!r}")
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            migrator_database_url=env.get("MIGRATOR_DATABASE_URL") or None,
            database_read_url=env.get("DATABASE_READ_URL") or None,
            env=mode,
            host=env.get("HOST", "127.0.0.1"),
            port=_int(env, "PORT", 8080),
            workers=_workers(env),
            app_role=env.get("NEUROPILOT_APP_ROLE", "neuropilot_app").strip() or "neuropilot_app",
            statement_timeout_ms=_int(env, "NEUROPILOT_STATEMENT_TIMEOUT_MS", 5000),
            slow_query_ms=_int(env, "NEUROPILOT_SLOW_QUERY_MS", 100),
            pool_min_size=_int(env, "NEUROPILOT_POOL_MIN_SIZE", 2),
            pool_max_size=_int(env, "NEUROPILOT_POOL_MAX_SIZE", 10),
            pool_timeout_s=_float(env, "NEUROPILOT_POOL_TIMEOUT_S", 1.0),
            shutdown_grace_s=_int(env, "NEUROPILOT_SHUTDOWN_GRACE_S", 20),
            max_header_line_bytes=_positive(env, "NEUROPILOT_MAX_HEADER_LINE_BYTES", 8 * 1024),
            max_header_bytes=_positive(env, "NEUROPILOT_MAX_HEADER_BYTES", 64 * 1024),
            max_headers=_positive(env, "NEUROPILOT_MAX_HEADERS", 100),
            header_timeout_s=_timeout(env, "NEUROPILOT_HEADER_TIMEOUT_S", 10.0),
            prepared_statements=prepared in ("on", "true", "1"),
            cors_origins=_origins(_list(env, "NEUROPILOT_CORS_ORIGINS")),
            trusted_proxies=_list(env, "NEUROPILOT_TRUSTED_PROXIES"),
            jwt_keys=_keys(env.get("NEUROPILOT_JWT_KEYS", "")),
            rate_limit_ip_per_min=_int(env, "NEUROPILOT_RATE_LIMIT_IP_PER_MIN", 600),
            rate_limit_user_per_min=_int(env, "NEUROPILOT_RATE_LIMIT_USER_PER_MIN", 1200),
            login_max_failures=_int(env, "NEUROPILOT_LOGIN_MAX_FAILURES", 5),
            login_window_s=_int(env, "NEUROPILOT_LOGIN_WINDOW_S", 900),
            redis_url=env.get("REDIS_URL") or None,
            metrics_token=env.get("NEUROPILOT_METRICS_TOKEN") or None,
            data_dir=Path(env.get("NEUROPILOT_DATA_DIR", ".neuropilot")),
            backup_dir=Path(
                env.get("NEUROPILOT_BACKUP_DIR") or Path(env.get("NEUROPILOT_DATA_DIR", ".neuropilot")) / "backups"
            ),
            backup_remote=env.get("NEUROPILOT_BACKUP_REMOTE") or None,
            backup_passphrase_file=Path(p) if (p := env.get("NEUROPILOT_BACKUP_PASSPHRASE_FILE")) else None,
            backup_keep_daily=_int(env, "NEUROPILOT_BACKUP_KEEP_DAILY", 7),
            backup_keep_weekly=_int(env, "NEUROPILOT_BACKUP_KEEP_WEEKLY", 4),
        )
