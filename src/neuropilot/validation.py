"""Reading requests: JSON bodies into msgspec Structs, list parameters, cursors and ETags.

Every failure is a Problem naming what was wrong: 415 not JSON, 400 malformed JSON, 422 with the
JSON path of the invalid field (`$.lines[2].qty`), never a 500.
"""

from __future__ import annotations

import base64
import binascii
import re
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


def limit_param(request: Request) -> int:
    raw = request.query_params.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_LIMIT:  # "²".isdigit(), int("²") fails
        raise invalid("limit", f"an integer from 1 to {MAX_LIMIT}")
    return int(raw)


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


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(values)).rstrip(b"=").decode()


def decode_cursor(request: Request, size: int) -> list[Any] | None:
    """The keyset position a client sent back in ?cursor=, or None on the first page."""
    raw = request.query_params.get("cursor")
    if raw is None:
        return None
    try:
        values = msgspec.json.decode(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise invalid("cursor", "not a cursor this API returned") from None
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
