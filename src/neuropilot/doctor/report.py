"""One check's result, and the last line of defence against printing a secret."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from psycopg.conninfo import conninfo_to_dict

Status = Literal["PASS", "WARN", "FAIL"]
_DSNS = ("DATABASE_URL", "MIGRATOR_DATABASE_URL", "DATABASE_READ_URL")
_MIN_SECRET = 4  # shorter strings would scrub ordinary words out of the report


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str

    @classmethod
    def ok(cls, name: str, detail: str) -> Check:
        return cls(name, "PASS", detail)

    @classmethod
    def warn(cls, name: str, detail: str) -> Check:
        return cls(name, "WARN", detail)

    @classmethod
    def fail(cls, name: str, detail: str) -> Check:
        return cls(name, "FAIL", detail)


def _dsn_password(dsn: str) -> str | None:
    try:
        return conninfo_to_dict(dsn).get("password")  # type: ignore[return-value]
    except Exception:  # an unparsable DSN: fall back to scrubbing the whole string
        return dsn


def _redis_password(url: str) -> str | None:
    userinfo = url.partition("://")[2].rpartition("@")[0]
    return userinfo.partition(":")[2] or userinfo or None


def _passphrase(path: str) -> str | None:
    try:
        return Path(path).read_text(errors="replace").split("\n", 1)[0].strip() or None
    except OSError:
        return None


def secrets_of(env: Mapping[str, str]) -> set[str]:
    """Every secret the environment holds or points to, as it would appear in text."""
    found: set[str | None] = {_dsn_password(env[name]) for name in _DSNS if env.get(name)}
    found |= {part.partition(":")[2] for part in env.get("NEUROPILOT_JWT_KEYS", "").split(",")}
    found |= {env.get("NEUROPILOT_METRICS_TOKEN"), _redis_password(env.get("REDIS_URL", ""))}
    if path := env.get("NEUROPILOT_BACKUP_PASSPHRASE_FILE"):
        found.add(_passphrase(path))
    return {s.strip() for s in found if s and len(s.strip()) >= _MIN_SECRET}


def scrub(checks: Iterable[Check], secrets: set[str]) -> list[Check]:
    """The details with every known secret replaced; longest first, so no secret leaves a tail behind."""
    ordered = sorted(secrets, key=len, reverse=True)
    out = []
    for check in checks:
        detail = check.detail
        for secret in ordered:
            detail = detail.replace(secret, "***")
        out.append(replace(check, detail=detail))
    return out
