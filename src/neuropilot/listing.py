"""Keyset-paginated lists: the one shape of every plain GET list (`{data, next_cursor}`), and its
CSV export (spreadsheets/export.py): with Accept: text/csv on a route that offers it, the same query
walks every page (the filters apply, the cursor and limit do not) in one transaction, streamed."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import Any, TypeVar

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from neuropilot.db import Tx, identity_of, request_statement, request_transaction
from neuropilot.queries import Query
from neuropilot.responses import json_response
from neuropilot.spreadsheets.export import CsvResponse, Export, exporting
from neuropilot.validation import decode_cursor, invalid, limit_param, page

T = TypeVar("T")
NEWEST_FIRST = ("before_at", "before_id")
EXPORT_PAGE = 1000  # rows per query while an export walks a list
Setup = Callable[[Tx], Awaitable[None]]


def newest_first(row: Any) -> list[Any]:
    """The cursor of a row in a list ordered by (created_at or counted_at, id) descending."""
    at = getattr(row, "created_at", None) or row.counted_at
    return [at.isoformat(), str(row.id)]


def text_cursor(values: list[Any]) -> list[Any]:
    """A cursor of strings (what `key` returned, JSON round-tripped), passed to the query as they are."""
    if not all(isinstance(value, str) for value in values):
        raise invalid("cursor", "not a cursor this API returned")
    return values


async def keyset_list(
    request: Request,
    q: Query,
    kind: type[T],
    filters: dict[str, Any],
    position: tuple[str, ...],
    key: Callable[[T], list[Any]] | Callable[[dict[str, Any]], list[Any]],
    first: tuple[Any, ...] | None = None,
    *,
    one_statement: bool = False,
    setup: Setup | None = None,
    audited: Setup | None = None,
    cursor: Callable[[list[Any]], list[Any]] = text_cursor,
    raw_key: bool = False,
) -> Response:
    """Run q for one page: filters, the keyset position from ?cursor= (or `first`), limit + 1 rows.
    one_statement: q sets the request context itself (db.Database.statement). setup runs first in
    the transaction (planner settings); audited writes the audit row of an audited read once the
    first page is read (in a read-write transaction); cursor turns the decoded cursor (and `key` of
    a row) into the position's parameters; raw_key: key takes the query's dict row, for a position
    in columns the Struct does not show (a sort key)."""
    readonly = None if audited is None else False
    if (export := exporting(request)) is not None:
        walk = _Walk(q, kind, filters, position, key, first, cursor, one_statement, raw_key)
        return _export(request, export, kind, walk, setup, audited)
    limit, values = limit_param(request), decode_cursor(request, len(position))
    values = cursor(values) if values is not None else list(first or (None,) * len(position))
    params = filters | dict(zip(position, values, strict=True)) | {"limit": limit + 1}
    if one_statement and setup is None and audited is None:  # tuples in the Struct's field order: built positionally
        fields: tuple[str, ...] = kind.__struct_fields__  # type: ignore[attr-defined]
        items = [kind(*row) for row in await request_statement(request, q, params, fields)]
    else:
        async with request_transaction(request, readonly=readonly) as tx:
            if setup is not None:
                await setup(tx)
            items = await _fetch(tx, request, q, kind, params, one_statement, raw_key)
            if audited is not None:
                await audited(tx)
    data, next_cursor = page(items, limit, key)  # type: ignore[arg-type]  # a dict row with raw_key
    if raw_key:
        data = msgspec.convert(data, list[kind])  # type: ignore[valid-type]
    return json_response({"data": data, "next_cursor": next_cursor})


async def _fetch(
    tx: Tx, request: Request, q: Query, kind: type[T], params: dict[str, Any], one: bool, raw: bool = False
) -> list[Any]:
    """The page's rows as Structs (raw: the query's dict rows)."""
    if one:
        fields: tuple[str, ...] = kind.__struct_fields__  # type: ignore[attr-defined]
        return [kind(*row) for row in await tx.tuples(q, params | asdict(identity_of(request)), fields)]
    rows = await tx.many(q, params)
    return rows if raw else msgspec.convert(rows, list[kind])  # type: ignore[valid-type]


class _Walk:
    """Every page of a keyset list, in order, EXPORT_PAGE rows at a time, in an open transaction."""

    def __init__(
        self,
        q: Query,
        kind: type[Any],
        filters: dict[str, Any],
        position: tuple[str, ...],
        key: Callable[[Any], list[Any]],
        first: tuple[Any, ...] | None,
        cursor: Callable[[list[Any]], list[Any]],
        one_statement: bool,
        raw_key: bool,
    ) -> None:
        self.q, self.kind, self.filters, self.position = q, kind, filters, position
        self.key, self.first, self.cursor, self.one_statement = key, first, cursor, one_statement
        self.raw_key = raw_key

    async def pages(self, tx: Tx, request: Request, audited: Setup | None) -> AsyncGenerator[list[Any]]:
        values = list(self.first or (None,) * len(self.position))
        while True:
            params = self.filters | dict(zip(self.position, values, strict=True)) | {"limit": EXPORT_PAGE}
            rows = await _fetch(tx, request, self.q, self.kind, params, self.one_statement, self.raw_key)
            if audited is not None:
                await audited(tx)
                audited = None
            if rows:
                yield msgspec.convert(rows, list[self.kind]) if self.raw_key else rows  # type: ignore[name-defined]
            if len(rows) < EXPORT_PAGE:
                return
            # the key of the last row, as a client would send it back: JSON round-tripped
            values = self.cursor(msgspec.json.decode(msgspec.json.encode(self.key(rows[-1]))))


def _export(
    request: Request, export: Export, kind: type[Any], walk: _Walk, setup: Setup | None, audited: Setup | None
) -> Response:
    @asynccontextmanager
    async def source() -> AsyncIterator[AsyncIterator[list[Any]]]:
        async with request_transaction(request, readonly=None if audited is None else False) as tx:
            if setup is not None:
                await setup(tx)
            pages = walk.pages(tx, request, audited)
            try:
                yield pages
            finally:
                await pages.aclose()

    return CsvResponse(export, kind, source)
