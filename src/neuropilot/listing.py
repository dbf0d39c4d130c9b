"""Keyset-paginated lists: the one shape of every plain GET list (`{data, next_cursor}`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from neuropilot.db import request_statement, request_transaction
from neuropilot.queries import Query
from neuropilot.responses import json_response
from neuropilot.validation import decode_cursor, invalid, limit_param, page

T = TypeVar("T")
NEWEST_FIRST = ("before_at", "before_id")


def newest_first(row: Any) -> list[Any]:
    """The cursor of a row in a list ordered by (created_at or counted_at, id) descending."""
    at = getattr(row, "created_at", None) or row.counted_at
    return [at.isoformat(), str(row.id)]


async def keyset_list(
    request: Request,
    q: Query,
    kind: type[T],
    filters: dict[str, Any],
    position: tuple[str, ...],
    key: Callable[[T], list[Any]],
    first: tuple[Any, ...] | None = None,
    *,
    one_statement: bool = False,
) -> Response:
    """Run q for one page: filters, the keyset position from ?cursor= (or `first`), limit + 1 rows.
    one_statement: q sets the request context itself (db.Database.statement)."""
    limit, cursor = limit_param(request), decode_cursor(request, len(position))
    if cursor and not all(isinstance(value, str) for value in cursor):
        raise invalid("cursor", "not a cursor this API returned")
    values = cursor or list(first or (None,) * len(position))
    params = filters | dict(zip(position, values, strict=True)) | {"limit": limit + 1}
    if one_statement:  # tuples in the Struct's field order: built positionally
        fields: tuple[str, ...] = kind.__struct_fields__  # type: ignore[attr-defined]
        items = [kind(*row) for row in await request_statement(request, q, params, fields)]
    else:
        async with request_transaction(request) as tx:
            items = msgspec.convert(await tx.many(q, params), list[kind])  # type: ignore[valid-type]
    data, next_cursor = page(items, limit, key)
    return json_response({"data": data, "next_cursor": next_cursor})
