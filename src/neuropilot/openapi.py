"""GET /v1/openapi.json: the OpenAPI 3.1 document of the route table, built once at start-up.

Every schema comes from `msgspec.json.schema_components` over the same Structs that validate the
request bodies and shape the responses, so the document cannot drift from what the handlers accept.
What a Struct cannot say follows from the shape of the route (a body, an `{id}`, a role list) by the
rules in `_problem_statuses` and `_header_params`, plus the few statuses a row of the table declares
itself (`problems`); the fuzz tests (tests/fuzz) hold the running app to all of it.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Sequence
from http import HTTPStatus
from types import UnionType
from typing import Any, Generic, Literal, Protocol, TypeVar, get_args

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from neuropilot import __version__
from neuropilot.models import (
    CountCreate,
    ItemCreate,
    LocationCreate,
    LoginRequest,
    MovementCreate,
    TransferCreate,
)
from neuropilot.params import Param
from neuropilot.purchasing_models import PurchaseOrderCreate, Receipt
from neuropilot.ratelimit import EXEMPT_PATHS

REF = "#/components/schemas/{name}"
ALL_ROLES = ("admin", "manager", "counter", "viewer")
T = TypeVar("T")


# --- shapes the handlers build by hand, described here so the document can name them ---


class Page(msgspec.Struct, Generic[T], kw_only=True):
    """One page of a list; `next_cursor` is null on the last page."""

    data: list[T]
    next_cursor: str | None


class Batch(msgspec.Struct, Generic[T], kw_only=True):
    data: list[T]


class Health(msgspec.Struct, kw_only=True):
    api: Literal["ok"]
    database: Literal["ok", "error"]
    timestamp: str


class Live(msgspec.Struct, kw_only=True):
    status: Literal["ok"]


class Ready(msgspec.Struct, kw_only=True):
    database: Literal["ok", "error"]
    schema: Literal["current", "behind", "ahead", "unknown"]


class FieldError(msgspec.Struct, kw_only=True):
    path: str
    message: str


class ProblemDetails(msgspec.Struct, kw_only=True):
    """RFC 9457 problem details; a 422 names each invalid field by its JSON path in `errors`."""

    type: str
    title: str
    status: int
    detail: str
    request_id: str
    errors: list[FieldError] | msgspec.UnsetType = msgspec.UNSET


class Operation(Protocol):
    """A row of the route table (routes.Op) as this module reads it."""

    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def endpoint(self) -> Callable[..., Any]: ...
    @property
    def roles(self) -> tuple[str, ...] | None: ...
    @property
    def body(self) -> Any: ...
    @property
    def response(self) -> Any: ...
    @property
    def status(self) -> int: ...
    @property
    def summary(self) -> str: ...
    @property
    def query(self) -> tuple[Param, ...]: ...
    @property
    def problems(self) -> tuple[int, ...]: ...
    @property
    def csv(self) -> bool: ...
    @property
    def max_body(self) -> int | None: ...


# --- problem responses, shared by every operation through components/responses ---

RETRY_AFTER = {"description": "Seconds to wait before retrying.", "required": True, "schema": {"type": "integer"}}
PROBLEMS: dict[int, tuple[str, str, dict[str, Any]]] = {
    400: ("BadRequest", "The body is not valid JSON, or Content-Length is malformed.", {}),
    401: (
        "Unauthorized",
        "Missing, expired or invalid credentials.",
        {"WWW-Authenticate": {"required": True, "schema": {"type": "string"}}},
    ),
    403: ("Forbidden", "Your role may not do this.", {}),
    404: ("NotFound", "No such resource, or not one you may see (a malformed id too).", {}),
    409: (
        "Conflict",
        "A duplicate unique value, history that still refers to the row, or a state that forbids it.",
        {},
    ),
    412: ("PreconditionFailed", "`If-Match` names another version: fetch the resource again and retry.", {}),
    413: ("ContentTooLarge", "The body is larger than 512 KiB.", {}),
    415: ("UnsupportedMediaType", "Send the body as `application/json` (a file import: `text/csv`).", {}),
    422: ("UnprocessableContent", "Invalid: `errors` names each invalid field by its path (`$.lines[2].qty`).", {}),
    429: ("TooManyRequests", "Rate limited, or too many failed sign-ins.", {"Retry-After": RETRY_AFTER}),
    503: ("ServiceUnavailable", "The database is down, busy or too slow.", {"Retry-After": RETRY_AFTER}),
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "description": "Retrying with the same key and body within 24 h returns the first response without a second "
    "write; the same key with another body is a 422.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "description": "The `ETag` you last read: the change applies only to that version (else 412).",
    "schema": {"type": "string"},
}
WEB_CLIENT = {
    "name": "X-NeuroPilot-Client",
    "in": "header",
    "description": "`web`: browser sign-in. The refresh token travels in the HttpOnly cookie `__Secure-np_refresh` "
    "(Path=/v1/auth, SameSite=Strict) instead of the body, which refresh and logout then do not need. Refused (403) "
    "from another site (`Sec-Fetch-Site`) or an origin that is neither this server's nor a configured CORS origin.",
    "schema": {"type": "string", "enum": ["web"]},
}
ETAG = {"description": "The version of the resource, for `If-Match`.", "schema": {"type": "string"}}
LOCATION = {"description": "Where the new resource lives.", "schema": {"type": "string"}}
EXAMPLES: dict[Any, dict[str, Any]] = {
    LoginRequest: {"email": "admin@neuropilot.local", "password": "the password `make run` printed"},
    ItemCreate: {
        "item_number": "FLOUR-00",
        "name": "Flour, type 00",
        "unit": "kg",
        "category": "dry goods",
        "min_qty": "5.000",
        "max_qty": "25.000",
        "unit_cost": "1.2500",
    },
    LocationCreate: {"code": "FRZ-2", "name": "Freezer 2", "temp_zone": "freezer"},
    CountCreate: {
        "item_id": "0b7e9f4c-3f6a-4f43-9a53-2d7c1e5b8a10",
        "location_id": "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f",
        "qty_on_hand": "12.500",
    },
    MovementCreate: {
        "item_id": "0b7e9f4c-3f6a-4f43-9a53-2d7c1e5b8a10",
        "location_id": "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f",
        "type": "use",
        "qty": "2.000",
        "note": "lunch service",
    },
    TransferCreate: {
        "item_id": "0b7e9f4c-3f6a-4f43-9a53-2d7c1e5b8a10",
        "from_location_id": "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f",
        "to_location_id": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
        "qty": "4.000",
    },
    PurchaseOrderCreate: {
        "supplier": "Mill & Co",
        "lines": [{"item_id": "0b7e9f4c-3f6a-4f43-9a53-2d7c1e5b8a10", "req_qty": "24.000", "unit_price": "1.1000"}],
    },
    Receipt: {
        "location_id": "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f",
        "lines": [{"line_id": "9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "qty": "12.000"}],
    },
}
INFO = {
    "title": "NeuroPilot API",
    "version": __version__,
    "description": (
        "Inventory for kitchens and small warehouses. JSON in and out; ids are UUIDs; quantities and money are "
        'JSON **strings** holding decimals (`"12.500"`); times are RFC 3339.\n\n'
        "Sign in with `POST /v1/auth/login`, then send `Authorization: Bearer <access_token>`. Lists take "
        '`limit` and `cursor` and answer `{"data": [...], "next_cursor": ...}`. Single resources carry an '
        "`ETag`; changes honour `If-Match`. Errors are `application/problem+json` with a `request_id`."
    ),
    "license": {"name": "MIT", "identifier": "MIT"},
}


# --- the document ---

CSV_NOTE = (
    "\n\nWith `Accept: text/csv` (preferred to `application/json`): every record as CSV (the filters apply; "
    "`limit` and `cursor` do not), a header row of the JSON field names, streamed as an attachment."
)


def _any_value(kind: Any) -> dict[str, Any]:
    if kind is object:
        return {"description": "Any JSON value."}
    raise NotImplementedError


def _arms(kind: Any) -> tuple[Any, ...]:
    return get_args(kind) if isinstance(kind, UnionType) else (kind,)


def _types(ops: Sequence[Operation]) -> list[Any]:
    found: list[Any] = [ProblemDetails]
    for op in ops:
        for kind in (op.body, *_arms(op.response)):
            if kind is not None and not isinstance(kind, str) and kind not in found:
                found.append(kind)
    return found


def _schema(kind: Any, refs: dict[Any, Any]) -> dict[str, Any]:
    """A union of responses (the valuation's two shapes) is a oneOf of its arms."""
    if isinstance(kind, UnionType):
        return {"oneOf": [refs[arm] for arm in get_args(kind)]}
    schema: dict[str, Any] = refs[kind]
    return schema


def _json(schema: dict[str, Any], example: dict[str, Any] | None = None) -> dict[str, Any]:
    media: dict[str, Any] = {"schema": schema}
    if example is not None:
        media["example"] = example
    return {"application/json": media}


def _writes_with_key(op: Operation) -> bool:
    """Creating POSTs (and receipts) take an Idempotency-Key; sign-in and sign-out do not."""
    return op.method == "POST" and op.body is not None and not op.path.startswith("/v1/auth/")


def _honours_if_match(op: Operation) -> bool:
    # A POST on a resource (…/{id}/submit) acts on it; one creating a sub-resource (201) does not.
    return op.method in ("PATCH", "DELETE") or (op.method == "POST" and "{id}" in op.path and op.status != 201)


def _header_params(op: Operation) -> list[dict[str, Any]]:
    web = [WEB_CLIENT] if op.path in WEB_SIGN_IN_PATHS else []
    return web + ([IDEMPOTENCY_KEY] if _writes_with_key(op) else []) + ([IF_MATCH] if _honours_if_match(op) else [])


WEB_SIGN_IN_PATHS = ("/v1/auth/login", "/v1/auth/refresh", "/v1/auth/logout")
COOKIE_BODY_PATHS = ("/v1/auth/refresh", "/v1/auth/logout")  # the body is optional there in cookie mode


def _parameters(op: Operation) -> list[dict[str, Any]]:
    path = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
        for name in re.findall(r"{(\w+)}", op.path)
    ]
    query = [
        {"name": p.name, "in": "query", "required": p.required, "description": p.description}
        | {"schema": msgspec.json.schema(p.kind)}
        for p in op.query
    ]
    return path + query + _header_params(op)


def _problem_statuses(op: Operation) -> list[int]:
    found = set(op.problems)
    if op.body is not None:
        found |= {400, 413, 415, 422}
    found.add(422)  # every route refuses query parameters it does not declare (validation.check_query)
    if op.roles is not None or op.body is not None:
        found.add(503)
    if op.roles is not None:
        found.add(401)
        if set(op.roles) != set(ALL_ROLES) or op.path.startswith("/v1/auth/"):
            found.add(403)  # logout: the refresh token of someone else
    if op.path in WEB_SIGN_IN_PATHS:
        found.add(403)  # browser sign-in from another site or origin
    if "{id}" in op.path:
        found.add(404)
    if _honours_if_match(op):
        found.add(412)
    if op.path not in EXEMPT_PATHS:
        found.add(429)
    return sorted(found)


def _success(op: Operation, refs: dict[Any, Any], paths: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"description": HTTPStatus(op.status).phrase}
    if op.response is None:
        return out
    if isinstance(op.response, str):
        out["content"] = {op.response: {"schema": {"type": "string"}}}
        return out
    out["content"] = _json(_schema(op.response, refs))
    if op.csv:
        out["content"]["text/csv"] = {"schema": {"type": "string"}}
    headers = {}
    if op.roles is not None and (op.method != "GET" or "{id}" in op.path or op.path == "/v1/me"):
        headers["ETag"] = ETAG
    if op.status == 201 and op.path + "/{id}" in paths:
        headers["Location"] = LOCATION
    if headers:
        out["headers"] = headers
    return out


OWN_503 = {
    Health: "The database does not answer.",
    Ready: "Not ready: the database does not answer, or its schema is not the one this code expects.",
}


def _responses(op: Operation, refs: dict[Any, Any], paths: set[str]) -> dict[str, Any]:
    out = {str(op.status): _success(op, refs, paths)}
    for status in _problem_statuses(op):
        out[str(status)] = {"$ref": f"#/components/responses/{PROBLEMS[status][0]}"}
    if op.max_body:
        out["413"] = {"$ref": "#/components/responses/FileTooLarge"}
    if op.response in OWN_503:  # /health and /ready answer 503 with their own body, not a problem
        out["503"] = {
            "description": OWN_503[op.response],
            "headers": {"Retry-After": RETRY_AFTER},
            "content": _json(refs[op.response]),
        }
    return out


def _description(op: Operation) -> str:
    """Who may call it, then the handler's docstring without the route it starts with ("GET /v1/stock: ")."""
    who = "Anyone." if op.roles is None else "Roles: " + ", ".join(op.roles) + "."
    doc = re.sub(r"^(?:[A-Z]+ )?\S*(?: \([^)]*\))?: ", "", inspect.getdoc(op.endpoint) or "")
    return f"**{who}**" + (f"\n\n{doc[0].upper()}{doc[1:]}" if doc else "") + (CSV_NOTE if op.csv else "")


def _tag(path: str) -> str:
    parts = path.split("/")
    return parts[2] if parts[1] == "v1" and "." not in parts[2] else "service"


def _operation(op: Operation, refs: dict[Any, Any], paths: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "operationId": op.endpoint.__name__,
        "summary": op.summary,
        "description": _description(op),
        "tags": [_tag(op.path)],
    }
    if parameters := _parameters(op):
        out["parameters"] = parameters
    if isinstance(op.body, str):  # a file: text/csv
        out["requestBody"] = {"required": True, "content": {op.body: {"schema": {"type": "string"}}}}
    elif op.body is not None:
        required = op.path not in COOKIE_BODY_PATHS
        out["requestBody"] = {"required": required, "content": _json(refs[op.body], EXAMPLES.get(op.body))}
    out["responses"] = _responses(op, refs, paths)
    if op.roles is None:
        out["security"] = []
    return out


def _problem_response(description: str, headers: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": REF.format(name="ProblemDetails")}}},
    }
    if headers:
        out["headers"] = headers
    return out


def build(ops: Sequence[Operation]) -> dict[str, Any]:
    types = _types(ops)
    schemas, components = msgspec.json.schema_components(types, ref_template=REF, schema_hook=_any_value)
    refs = dict(zip(types, schemas, strict=True))
    known = {op.path for op in ops}
    paths: dict[str, dict[str, Any]] = {}
    for op in ops:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, refs, known)
    return {
        "openapi": "3.1.0",
        "info": INFO,
        "tags": [{"name": name} for name in dict.fromkeys(_tag(op.path) for op in ops)],
        "paths": paths,
        "components": {
            "schemas": components,
            "responses": {name: _problem_response(text, headers) for name, text, headers in PROBLEMS.values()}
            | {"FileTooLarge": _problem_response("The file is larger than 2 MiB.", {})},
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
        "security": [{"bearerAuth": []}],
    }


def document(ops: Sequence[Operation]) -> bytes:
    return msgspec.json.encode(build(ops))


async def openapi_json(request: Request) -> Response:
    """This document (OpenAPI 3.1), generated from the types that validate requests and shape responses."""
    return Response(request.state.openapi, media_type="application/json")
