"""Idempotency-Key on creating POSTs: a retry after a lost response gets the first response again.

Within the write's own transaction: `begin` serialises requests sharing (caller, key), replays a
stored response for the same request (Replay) or refuses a different one (422); `created` builds
the 201 response and stores it before the transaction commits, so the write and its record of it
land together or not at all. Keys are per user and live 24 hours.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from psycopg.types.json import Jsonb
from starlette.requests import Request
from starlette.responses import Response

from neuropilot.db import Tx
from neuropilot.errors import Problem
from neuropilot.queries import query
from neuropilot.responses import resource_response

LOCK_IDEMPOTENCY_KEY = query("LockIdempotencyKey")
GET_IDEMPOTENT_RESPONSE = query("GetIdempotentResponse")
DELETE_IDEMPOTENCY_KEY = query("DeleteIdempotencyKey")
SAVE_IDEMPOTENT_RESPONSE = query("SaveIdempotentResponse")
HEADER = "idempotency-key"
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
_KEPT_HEADERS = ("location", "etag", "content-type")


class Replay(Exception):
    """The stored response of an earlier, identical request."""

    def __init__(self, response: Response) -> None:
        super().__init__("idempotent replay")
        self.response = response


def _key(request: Request) -> str | None:
    key = request.headers.get(HEADER)
    if key is not None and not _KEY.match(key):
        raise Problem(
            422,
            "Idempotency-Key: 1 to 255 visible ASCII characters.",
            errors=[{"path": "Idempotency-Key", "message": "1 to 255 visible ASCII characters"}],
        )
    return key


def requested(request: Request) -> bool:
    """Whether the request carries an Idempotency-Key (a malformed one is a 422)."""
    return _key(request) is not None


async def _fingerprint(request: Request) -> bytes:
    body = await request.body()
    return hashlib.sha256(request.method.encode() + b" " + request.url.path.encode() + b"\n" + body).digest()


async def begin(tx: Tx, request: Request) -> None:
    """Call first in a creating transaction; raises Replay or a 422 when the key was used before."""
    key = _key(request)
    if key is None:
        return
    await tx.exec(LOCK_IDEMPOTENCY_KEY, {"key": key})
    stored = await tx.one(GET_IDEMPOTENT_RESPONSE, {"key": key})
    if stored is None:
        return
    if not stored["live"]:
        await tx.exec(DELETE_IDEMPOTENCY_KEY, {"key": key})
        return
    if bytes(stored["request_hash"]) != await _fingerprint(request):
        raise Problem(
            422,
            "This Idempotency-Key was used with another request.",
            errors=[{"path": "Idempotency-Key", "message": "already used with another request"}],
        )
    headers = dict(stored["response_headers"]) | {"Idempotent-Replayed": "true"}
    raise Replay(Response(bytes(stored["response_body"]), stored["status_code"], headers))


async def respond(tx: Tx, request: Request, resource: Any, status: int, location: str | None = None) -> Response:
    """The response to a write, remembered under the request's Idempotency-Key if it has one."""
    response = resource_response(resource, status, {"Location": location} if location else None)
    key = _key(request)
    if key is not None:
        kept = {name: value for name, value in response.headers.items() if name in _KEPT_HEADERS}
        await tx.exec(
            SAVE_IDEMPOTENT_RESPONSE,
            {
                "key": key,
                "method": request.method,
                "path": request.url.path,
                "request_hash": await _fingerprint(request),
                "status_code": response.status_code,
                "response_headers": Jsonb(kept),
                "response_body": response.body,
            },
        )
    return response


async def created(tx: Tx, request: Request, resource: Any, location: str | None = None) -> Response:
    """The 201 for a new resource (see respond)."""
    return await respond(tx, request, resource, 201, location)


async def handle_replay(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Replay)
    return exc.response
