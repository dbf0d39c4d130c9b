"""JWTs: HS256 only, `kid` names the key (first signs, all verify: rotation without downtime).

Access tokens (15 min): sub, email, role, iat, exp, jti. Refresh tokens (90 days): sub,
type="refresh", iat, exp, jti. Verification refuses every other shape with TokenError.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from neuropilot.config import ConfigError, Settings

ACCESS_TTL_S = 15 * 60
REFRESH_TTL_S = 90 * 24 * 3600
LEEWAY_S = 30
MIN_SECRET_BYTES = 32
VERIFIED_CACHE_SIZE = 4096
ROLES = frozenset({"admin", "manager", "counter", "viewer"})
_DEV_KEY_FILE = "jwt_keys"


class TokenError(Exception):
    """Any token the API must not accept; the message is safe to show."""


@dataclass(frozen=True)
class AccessClaims:
    user_id: str
    email: str
    role: str
    jti: str


@dataclass(frozen=True)
class RefreshClaims:
    user_id: str
    jti: str
    expires_at: int


def new_key() -> tuple[str, str]:
    return f"k{time.strftime('%Y%m%d')}-{secrets.token_hex(3)}", secrets.token_urlsafe(48)


def load_keys(settings: Settings) -> tuple[tuple[str, bytes], ...]:
    """The configured keys; in development with none configured, one generated and kept in data_dir."""
    keys = settings.jwt_keys
    if not keys:
        if settings.production:
            raise ConfigError("NEUROPILOT_JWT_KEYS is not set; production needs at least one kid:secret")
        keys = (_dev_key(settings.data_dir / _DEV_KEY_FILE),)
    for kid, secret in keys:
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise ConfigError(f"NEUROPILOT_JWT_KEYS: the secret of {kid!r} is shorter than {MIN_SECRET_BYTES} bytes")
    return tuple((kid, secret.encode()) for kid, secret in keys)


def _dev_key(path: Path) -> tuple[str, str]:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        kid, secret = new_key()
        path.touch(mode=0o600)
        path.write_text(f"{kid}:{secret}\n")
    kid, _, secret = path.read_text().strip().partition(":")
    return kid, secret


def _is_uuid(value: object) -> bool:
    try:
        return isinstance(value, str) and str(uuid.UUID(value)) == value
    except ValueError:
        return False


NUMERIC_CLAIMS = ("exp", "iat", "nbf")  # RFC 7519 NumericDate: a JSON number
STRING_CLAIMS = ("sub", "jti", "role", "email", "type")


def _typed(claims: dict[str, Any]) -> bool:
    """Every claim the API reads has its JSON type (CONTRACT §18). PyJWT would take "exp": "1700000000"
    (it calls int() on it) and true (a bool is an int in Python); a role that is a list or an object
    must not reach the code that compares it."""
    for name in NUMERIC_CLAIMS:
        if name in claims and not (type(claims[name]) in (int, float) and math.isfinite(claims[name])):
            return False
    return all(isinstance(claims[name], str) for name in STRING_CLAIMS if name in claims)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class Tokens:
    def __init__(self, keys: tuple[tuple[str, bytes], ...]) -> None:
        if not keys:
            raise ConfigError("no JWT keys")
        self._signing_kid, self._signing_secret = keys[0]
        self._keys = dict(keys)
        # Access tokens already verified, by their exact text (signature included), until they expire:
        # verifying one costs ~46 µs of a ~800 µs request (docs/performance.md). Bounded; the oldest go first.
        self._verified: dict[str, tuple[AccessClaims, int]] = {}

    def _sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self._signing_secret, algorithm="HS256", headers={"kid": self._signing_kid})

    def issue_access(self, user_id: str, email: str, role: str) -> str:
        now = int(time.time())
        claims = {"sub": user_id, "email": email, "role": role, "iat": now, "exp": now + ACCESS_TTL_S}
        return self._sign(claims | {"jti": uuid.uuid4().hex})

    def issue_refresh(self, user_id: str) -> tuple[str, RefreshClaims]:
        now, jti = int(time.time()), uuid.uuid4().hex
        token = self._sign({"sub": user_id, "type": "refresh", "iat": now, "exp": now + REFRESH_TTL_S, "jti": jti})
        return token, RefreshClaims(user_id, jti, now + REFRESH_TTL_S)

    def _decode(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise TokenError("malformed token") from None
        kid = header.get("kid")
        if header.get("alg") != "HS256" or not isinstance(kid, str) or kid not in self._keys:
            raise TokenError("unknown key or algorithm")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._keys[kid],
                algorithms=["HS256"],
                leeway=LEEWAY_S,
                options={"require": ["sub", "exp", "iat", "jti"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenError("token expired") from None
        except (jwt.PyJWTError, ValueError, TypeError, OverflowError):  # int(inf) in PyJWT's exp check
            raise TokenError("invalid token") from None
        if not _typed(claims) or not _is_uuid(claims["sub"]):
            raise TokenError("invalid token")
        return claims

    def verify_access(self, token: str) -> AccessClaims:
        cached = self._verified.get(token)
        if cached is not None:
            access, expires = cached
            if time.time() < expires:
                return access
            del self._verified[token]
        claims = self._decode(token)
        if "type" in claims or claims.get("role") not in ROLES or not isinstance(claims.get("email"), str):
            raise TokenError("not an access token")
        access = AccessClaims(claims["sub"], claims["email"], claims["role"], claims["jti"])
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            del self._verified[next(iter(self._verified))]
        self._verified[token] = (access, int(claims["exp"]) + LEEWAY_S)  # the expiry jwt.decode applies
        return access

    def verify_refresh(self, token: str) -> RefreshClaims:
        claims = self._decode(token)
        if claims.get("type") != "refresh":
            raise TokenError("not a refresh token")
        return RefreshClaims(claims["sub"], claims["jti"], int(claims["exp"]))
