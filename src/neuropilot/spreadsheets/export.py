"""CSV exports: one mechanism for every list route and report the route table opts in (`Op(csv=True)`).

`negotiated` wraps an opted-in endpoint: when the request's Accept prefers text/csv it marks the
request (`exporting`), and
- a keyset list (listing.keyset_list) answers a CsvResponse that walks every page of its query
  inside one transaction (the route's own: READ ONLY, or read-write for audited reads) and sends
  the rows as it reads them, so memory stays flat however long the list;
- any other handler (a report that builds its whole body anyway) answers JSON as usual, and the
  list of records in that body becomes the CSV.

Cells are what the JSON says: decimals as their strings, nested lists and objects as a JSON string,
null as an empty cell. A text cell starting with = + - @ tab or CR gets a leading ' (formula
injection); which columns are numbers is read from the row Struct's field types (int, float,
Decimal, or a str annotated `Meta(extra={"decimal": True})`), never guessed from a value, so a
negative quantity "-2.000" stays as it is.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from types import NoneType, UnionType
from typing import Any, get_args

import msgspec
import msgspec.inspect as mi
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

MEDIA_TYPE = "text/csv; charset=utf-8"
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_TRIGGER_SET = frozenset(TRIGGERS)
_json = msgspec.json.Encoder(decimal_format="string")
Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Column:
    name: str
    numeric: bool  # never guarded: its cells are numbers or decimal strings


@dataclass(frozen=True)
class Export:
    """What the route table says of an export: its file name and the JSON response type."""

    filename: str
    response: Any


def filename(path: str) -> str:
    """/v1/reports/valuation → reports-valuation.csv; path parameters are left out."""
    parts = [p for p in path.removeprefix("/v1/").split("/") if p and not p.startswith("{")]
    return "-".join(parts) + ".csv"


# --- content negotiation ---

_SPECIFIC = {"*/*": 0, "text/*": 1, "application/*": 1}
_MATCHES: dict[str, tuple[str, ...]] = {
    "text/csv": ("csv",),
    "text/*": ("csv",),
    "application/json": ("json",),
    "application/*": ("json",),
    "*/*": ("csv", "json"),
}


def _quality(params: list[str]) -> float:
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "q":
            try:
                return min(max(float(value.strip()), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0


def prefers_csv(accept: str) -> bool:
    """Whether Accept prefers text/csv to application/json. Each type takes the q of the most specific
    range naming it (RFC 9110 §12.5.1); CSV wins on a higher q, or on the same q from a more specific
    range (`text/csv, */*`); on a full tie JSON, the default, wins (`text/csv, application/json`)."""
    accept = accept.lower()
    if "csv" not in accept and "text/*" not in accept:
        return False  # the common case, without parsing
    best = {"csv": (-1, 0.0), "json": (-1, 0.0)}  # (specificity, q) of the most specific matching range
    for part in accept.split(","):
        media, *params = part.split(";")
        media = media.strip()
        for kind in _MATCHES.get(media, ()):
            specificity = _SPECIFIC.get(media, 2)
            if specificity > best[kind][0]:
                best[kind] = (specificity, _quality(params))
    (csv_spec, csv_q), (json_spec, json_q) = best["csv"], best["json"]
    return csv_q > 0 and (csv_q > json_q or (csv_q == json_q and csv_spec > json_spec))


def exporting(request: Request) -> Export | None:
    """The export this request asked for, if its route offers one and Accept prefers CSV."""
    export: Export | None = request.scope.get("neuropilot.csv")
    return export


def negotiated(endpoint: Endpoint, export: Export) -> Endpoint:
    """The endpoint of an opted-in route: JSON by default, CSV when Accept prefers it."""

    @functools.wraps(endpoint)
    async def endpoint_with_csv(request: Request) -> Response:
        if not prefers_csv(request.headers.get("accept", "")):
            response = await endpoint(request)
            response.headers.add_vary_header("Accept")
            return response
        request.scope["neuropilot.csv"] = export
        response = await endpoint(request)
        if not isinstance(response, CsvResponse):
            response = _from_json(response, export)
        response.headers.add_vary_header("Accept")
        return response

    return endpoint_with_csv


# --- columns and cells ---


def _numeric(kind: mi.Type) -> bool:
    if isinstance(kind, mi.Metadata):
        return bool((kind.extra or {}).get("decimal")) or _numeric(kind.type)
    if isinstance(kind, mi.UnionType):
        arms = [arm for arm in kind.types if not isinstance(arm, mi.NoneType)]
        return bool(arms) and all(_numeric(arm) for arm in arms)
    return isinstance(kind, mi.IntType | mi.FloatType | mi.DecimalType)


@functools.cache
def columns(kind: Any) -> tuple[Column, ...]:
    """The CSV columns of a row Struct: its JSON field names, in order, and which hold numbers."""
    info = mi.type_info(kind)
    assert isinstance(info, mi.StructType), kind
    return tuple(Column(field.encode_name, _numeric(field.type)) for field in info.fields)


def cell(value: Any, numeric: bool) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return _json.encode(value).decode()
    if not numeric and isinstance(value, str) and value.startswith(TRIGGERS):
        return "'" + value
    return value


def encode_rows(cols: tuple[Column, ...], rows: Iterable[dict[str, Any]], header: bool = False) -> bytes:
    """Rows (JSON-shaped dicts) as RFC 4180 CSV, CRLF line ends, quoted only where needed."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        writer.writerow([c.name for c in cols])
    names, numeric = [c.name for c in cols], [c.numeric for c in cols]
    # A plain string that needs no guard is most cells: kept as it is without a call to cell().
    writer.writerows(
        [
            v if type(v) is str and (num or v[:1] not in _TRIGGER_SET) else cell(v, num)
            for v, num in zip(map(row.get, names), numeric, strict=True)
        ]
        for row in rows
    )
    return out.getvalue().encode()


# --- responses ---

Batches = AbstractAsyncContextManager[AsyncIterator[list[Any]]]


class CsvResponse(Response):
    """Streams the batches `source` yields (Structs, or JSON-shaped dicts) as CSV.

    The source is entered when the response is sent: whatever fails before the first byte (the pool,
    the first page) is still an ordinary problem response, and the transaction it holds ends when
    the last row is out. A client that goes away ends the stream, and the transaction commits what
    it wrote (the audit row of an audited read: the rows were read)."""

    media_type = MEDIA_TYPE

    def __init__(self, export: Export, kind: Any, source: Callable[[], Batches]) -> None:
        super().__init__(headers={"Content-Disposition": f'attachment; filename="{export.filename}"'})
        del self.headers["content-length"]
        self.columns = columns(kind)
        self.source = source

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async with self.source() as batches:
            first: list[Any] = await anext(batches, [])
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            try:
                await self._body(send, encode_rows(self.columns, _builtins(first), header=True))
                async for batch in batches:
                    await self._body(send, encode_rows(self.columns, _builtins(batch)))
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            except (OSError, ClientDisconnect):
                return  # the client left; nothing more to send

    @staticmethod
    async def _body(send: Send, chunk: bytes) -> None:
        await send({"type": "http.response.body", "body": chunk, "more_body": True})


def _builtins(batch: list[Any]) -> list[dict[str, Any]]:
    return batch if not batch or isinstance(batch[0], dict) else msgspec.to_builtins(batch)


def _record_lists(kind: Any) -> list[tuple[Any, str, Any]]:
    """(arm, field name, row type) of each list-of-Struct field of each arm of a response type."""
    found = []
    for arm in get_args(kind) if isinstance(kind, UnionType) else (kind,):
        if arm is NoneType:
            continue
        info = mi.type_info(arm)
        for field in info.fields if isinstance(info, mi.StructType) else ():
            if isinstance(field.type, mi.ListType) and isinstance(field.type.item_type, mi.StructType):
                found.append((arm, field.encode_name, field.type.item_type.cls))
    return found


def _from_json(response: Response, export: Export) -> Response:
    """The records of a JSON report body as CSV (errors and other statuses pass through)."""
    if response.status_code != 200 or response.media_type != "application/json":
        return response
    body = msgspec.json.decode(response.body)
    assert body.get("next_cursor") is None, "a paged list exports through listing.keyset_list"
    for arm, name, row in _record_lists(export.response):
        try:
            msgspec.convert(body, arm)
        except msgspec.ValidationError:
            continue  # the other shape of a union
        content = encode_rows(columns(row), body[name], header=True)
        headers = {"Content-Disposition": f'attachment; filename="{export.filename}"'}
        return Response(content, 200, headers, media_type=MEDIA_TYPE)
    raise AssertionError(f"{export.filename}: no list of records in the response type")
