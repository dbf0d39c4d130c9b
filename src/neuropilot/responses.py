"""JSON responses encoded by msgspec straight to bytes (Decimals as strings, times as RFC 3339).

A single resource carries an ETag computed from its encoded body; PATCH compares If-Match to it.
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec
from starlette.responses import Response

_encoder = msgspec.json.Encoder(decimal_format="string")


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(_encoder.encode(data), status, headers, media_type="application/json")


def _etag(encoded: bytes) -> str:
    return '"' + hashlib.sha256(encoded).hexdigest()[:32] + '"'


def resource_etag(resource: Any) -> str:
    return _etag(_encoder.encode(resource))


def resource_response(resource: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    encoded = _encoder.encode(resource)
    return Response(encoded, status, {"ETag": _etag(encoded)} | (headers or {}), media_type="application/json")
