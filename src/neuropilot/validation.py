"""Reading requests: JSON bodies into msgspec Structs, list parameters, cursors and ETags.

Every failure is a Problem naming what was wrong: 415 not JSON, 400 malformed JSON, 422 with the
JSON path of the invalid field (`$.lines[2].qty`), never a 500.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import secrets
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import msgspec
from starlette.requests import Request

from neuropilot.errors import Problem

T = TypeVar("T")
_PATH = re.compile(r" - at `(\$[^`]*)`$")
_UNKNOWN = re.compile(r"^Object contains unknown field `([^`]+)`")
# An unescaped '+' in a query string arrives as a space: "…T10:00:00 02:00" meant "+02:00".
_MANGLED_OFFSET = re.compile(r"(?<=\d) (?=\d{2}:\d{2}$)")
MAX_LIMIT = 200
MAX_INT_DIGITS = 18  # every integer the API reads fits in a bigint; more digits are refused, not converted
DEFAULT_LIMIT = 50


def invalid(path: str, message: str) -> Problem:
    return Problem(422, f"{path}: {message}", errors=[{"path": path, "message": message}])


def _validation_problem(exc: msgspec.ValidationError) -> Problem:
    text = str(exc)
    match = _PATH.search(text)
    path = match[1] if match else "$"
    message = text[: match.start()] if match else text
    if unknown := _UNKNOWN.match(message):
        return invalid(f"{path}.{unknown[1]}", "unknown field")
    return invalid(path, message)


def _is_json(request: Request) -> bool:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


async def read_json(request: Request, kind: type[T]) -> T:
    if not _is_json(request):
        raise Problem(415, "Send the body as application/json.")
    body = await request.body()
    if b"\\u0000" in body:
        raise invalid("$", "NUL characters are not allowed")
    try:
        return msgspec.json.decode(body, type=kind)
    except msgspec.ValidationError as exc:
        raise _validation_problem(exc) from None
    except msgspec.DecodeError:
        raise Problem(400, "The body is not valid JSON.") from None
    except RecursionError:
        raise invalid("$", "the JSON is nested too deeply") from None


def parse_int(raw: str, lo: int, hi: int) -> int | None:
    """A plain decimal integer (ASCII digits, optional leading '-') from lo to hi, else None; never raises.

    The one way this API reads an integer from text (query, header, cursor, spreadsheet cell): int() alone
    accepts "²", " 1", "1_000" and "+1", and raises past 4300 digits (CPython's int-conversion limit), so
    the digits are counted before int() ever sees them."""
    negative = raw.startswith("-")
    digits = raw[1:] if negative else raw
    if not (digits.isascii() and digits.isdigit()):
        return None
    significant = digits.lstrip("0") or "0"  # int() counts leading zeros against the limit too
    if len(significant) > MAX_INT_DIGITS:
        return None
    value = -int(significant) if negative else int(significant)
    return value if lo <= value <= hi else None


def int_param(request: Request, name: str, lo: int, hi: int, default: int) -> int:
    """The query parameter `name` as an integer from lo to hi (default when left out), else a 422 naming it."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    value = parse_int(raw, lo, hi)
    if value is None:
        raise invalid(name, f"an integer from {lo} to {hi}")
    return value


def check_query(request: Request, names: frozenset[str]) -> None:
    """422 for a query parameter the route does not declare (a typo is never ignored: `?catgory=dry`
    must not list everything) or one given twice (which of `?limit=1&limit=2` would count?).
    Called for every request with a query string, from the route table (app.routes)."""
    params = request.query_params
    unknown = [name for name in params if name not in names]
    if unknown:
        errors = [{"path": name, "message": "unknown query parameter"} for name in unknown]
        raise Problem(422, f"{unknown[0]}: unknown query parameter", errors=errors)
    if len(params.multi_items()) > len(params):
        repeated = [name for name in params if len(params.getlist(name)) > 1]
        errors = [{"path": name, "message": "given more than once"} for name in repeated]
        raise Problem(422, f"{repeated[0]}: given more than once", errors=errors)


def limit_param(request: Request) -> int:
    return int_param(request, "limit", 1, MAX_LIMIT, DEFAULT_LIMIT)


def uuid_param(request: Request, name: str) -> uuid.UUID | None:
    raw = request.query_params.get(name)
    try:
        return uuid.UUID(raw) if raw is not None else None  # an empty value is a mistake, not "no filter"
    except ValueError:
        raise invalid(name, "a UUID") from None


def time_param(request: Request, name: str) -> datetime | None:
    """An RFC 3339 time with its offset (a time without one is ambiguous)."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        parsed = datetime.fromisoformat(_MANGLED_OFFSET.sub("+", raw))
    except ValueError:
        raise invalid(name, "an RFC 3339 time with an offset, e.g. 2026-01-31T08:00:00Z") from None
    if parsed.tzinfo is None:
        raise invalid(name, "an RFC 3339 time with an offset, e.g. 2026-01-31T08:00:00Z")
    return in_utc(parsed, name)


def in_utc(value: datetime, path: str) -> datetime:
    """The same instant in UTC: RFC 3339 allows offsets up to ±23:59, PostgreSQL only up to ±15:59."""
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is in year 0
        raise invalid(path, "out of range") from None


def bool_param(request: Request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if raw not in ("true", "false"):
        raise invalid(name, "true or false")
    return raw == "true"


def path_id(request: Request, what: str) -> uuid.UUID:
    """The {id} of the path; a malformed one names no resource, so it is a 404 like an unknown one."""
    try:
        return uuid.UUID(request.path_params["id"])
    except ValueError:
        raise Problem(404, f"No such {what}.") from None


# Cursors are opaque: base64url JSON of the keyset position, then '.', then an HMAC of it, so a cursor
# this API did not make (forged, edited, or from another deployment) is a 422, never a page from an
# invented position. The keys derive from the JWT keys (configure_cursors, at start-up), so every worker
# and instance agrees and rotation works alike: the first key signs, all verify.
# Each key is held as a keyed HMAC-SHA256 object that every tag copies: a one-shot hmac.digest(key, …,
# "sha256") has OpenSSL 3 look the digest up by name and set the key up again, about 20 µs inside a request
# against 5 to 11 for the copy (docs/performance.md, session 5).
_CURSOR_KEYS: tuple[hmac.HMAC, ...] = (hmac.new(secrets.token_bytes(32), digestmod="sha256"),)
_CURSOR_TAG_BYTES = 16


def configure_cursors(secrets_: tuple[bytes, ...]) -> None:
    global _CURSOR_KEYS
    keys = (hmac.digest(secret, b"neuropilot list cursor v1", "sha256") for secret in secrets_)
    _CURSOR_KEYS = tuple(hmac.new(key, digestmod="sha256") for key in keys)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _cursor_tag(key: hmac.HMAC, payload: str) -> bytes:
    mac = key.copy()
    mac.update(payload.encode())
    return mac.digest()[:_CURSOR_TAG_BYTES]


def encode_cursor(values: list[Any]) -> str:
    payload = _b64(msgspec.json.encode(values))
    return f"{payload}.{_b64(_cursor_tag(_CURSOR_KEYS[0], payload))}"


def _cursor_payload(raw: str) -> bytes | None:
    """The JSON of a cursor this API signed, else None."""
    payload, dot, tag = raw.partition(".")
    if not dot or not raw.isascii():
        return None
    try:
        given = base64.urlsafe_b64decode(tag + "=" * (-len(tag) % 4))
        if not any(hmac.compare_digest(given, _cursor_tag(key, payload)) for key in _CURSOR_KEYS):
            return None
        return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    except (binascii.Error, ValueError):
        return None


def decode_cursor(request: Request, size: int) -> list[Any] | None:
    """The keyset position a client sent back in ?cursor=, or None on the first page."""
    raw = request.query_params.get("cursor")
    if raw is None:
        return None
    payload = _cursor_payload(raw)
    try:
        values = msgspec.json.decode(payload) if payload is not None else None
    except msgspec.DecodeError:  # ValidationError too: an integer past 64 bits
        values = None
    if not isinstance(values, list) or len(values) != size:
        raise invalid("cursor", "not a cursor this API returned")
    return values


def page(rows: list[T], limit: int, key: Callable[[T], list[Any]]) -> tuple[list[T], str | None]:
    """A list page from limit + 1 fetched rows: the rows to return and the cursor of the next page."""
    if len(rows) <= limit:
        return rows, None
    return rows[:limit], encode_cursor(key(rows[limit - 1]))


def check_if_match(request: Request, current: str) -> None:
    """412 when the client's If-Match names another version than the current one."""
    header = request.headers.get("if-match")
    if header is None:
        return
    candidates = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    if "*" not in candidates and current not in candidates:
        raise Problem(412, "The resource changed since you read it; fetch it again and retry.")
