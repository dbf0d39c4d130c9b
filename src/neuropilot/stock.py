"""Stock on hand and the reports built on it: GET /v1/stock, /v1/reports/low-stock, /valuation, /variance.

On-hand is read from stock_level, which triggers keep equal to the ledger (last count + movements
after it; see sql/schema/0006_stock_level.sql), so a page costs the same however long the history.
Every route here is a plain read, no audit row: the stock page one statement (sql/schema/0017), the
reports a READ ONLY transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from neuropilot.db import Tx, request_transaction
from neuropilot.listing import keyset_list, text_cursor
from neuropilot.models import (
    CategoryValuation,
    LocationValuation,
    LowStockItem,
    StockLevel,
    Variance,
)
from neuropilot.queries import query
from neuropilot.responses import json_response
from neuropilot.validation import bool_param, invalid, time_param, uuid_param

LIST_STOCK = query("ListStock")
LIST_LOW_STOCK = query("ListLowStock")
LIST_VALUATION_BY_CATEGORY = query("ListValuationByCategory")
LIST_VALUATION_BY_LOCATION = query("ListValuationByLocation")
LIST_VARIANCE = query("ListVariance")
SET_READ_PLANNER = query("SetReadPlanner")

# Why these exist is in sql/queries/stock.sql (SetReadPlanner): RLS hides the row counts from the
# planner, so pages would sort every row and the valuation would join by nested loop.
PAGES = {"enable_sort": "off", "enable_nestloop": "on"}
TOTALS = {"enable_sort": "on", "enable_nestloop": "off"}


@asynccontextmanager
async def reading(request: Request, planner: dict[str, str]) -> AsyncIterator[Tx]:
    """The request's read-only transaction, with the planner settings this kind of read needs."""
    async with request_transaction(request) as tx:
        await tx.exec(SET_READ_PLANNER, planner)
        yield tx


def _variance_cursor(values: list[Any]) -> list[Any]:
    """The (counted_at, count_id) position of a variance cursor, parsed: a forged one is a 422."""
    at, count_id = text_cursor(values)
    try:
        return [datetime.fromisoformat(at), uuid.UUID(count_id)]
    except ValueError:
        raise invalid("cursor", "not a cursor this API returned") from None


async def _pages(tx: Tx) -> None:
    await tx.exec(SET_READ_PLANNER, PAGES)


def stock_filters(request: Request) -> dict[str, Any]:
    return {
        "location_id": uuid_param(request, "location_id"),
        "item_id": uuid_param(request, "item_id"),
        "category": request.query_params.get("category"),
        "below_min": bool_param(request, "below_min"),
    }


async def list_stock(request: Request) -> Response:
    """GET /v1/stock: on-hand per item and location, by (item_number, location_code)."""
    # One statement (sql/schema/0017), or page after page in the CSV export's transaction.
    return await keyset_list(
        request,
        LIST_STOCK,
        StockLevel,
        stock_filters(request),
        ("after_number", "after_code"),
        lambda s: [s.item_number, s.location_code],
        one_statement=True,  # list_stock_as sets the caller and the page's planner settings itself
    )


async def low_stock(request: Request) -> Response:
    """GET /v1/reports/low-stock: active items whose total on-hand is below min_qty, by item_number."""
    return await keyset_list(
        request, LIST_LOW_STOCK, LowStockItem, {}, ("after_number",), lambda i: [i.item_number], setup=_pages
    )


async def valuation(request: Request) -> Response:
    """GET /v1/reports/valuation?group_by=category|location: the sum of on_hand * unit_cost per group and in all."""
    group_by = request.query_params.get("group_by", "category")
    if group_by not in ("category", "location"):
        raise invalid("group_by", "category or location")
    async with reading(request, TOTALS) as tx:
        rows = await tx.many(LIST_VALUATION_BY_CATEGORY if group_by == "category" else LIST_VALUATION_BY_LOCATION)
    total = rows[-1]  # the grand-total row sorts last, and grouping sets yield it even with no stock at all
    body = {
        "group_by": group_by,
        "groups": [r for r in rows if not r["is_total"]],
        "total_value": total["value"],
        "items": total["items"],
        "uncosted_items": total["uncosted_items"],
    }
    kind: type[CategoryValuation | LocationValuation] = (
        CategoryValuation if group_by == "category" else LocationValuation
    )
    return json_response(msgspec.convert(body, kind))


async def variance(request: Request) -> Response:
    """GET /v1/reports/variance?since=: each count since then against the on-hand expected before it."""
    since = time_param(request, "since")
    if since is None:
        raise invalid("since", "required: an RFC 3339 time, e.g. 2026-01-31T00:00:00Z")
    return await keyset_list(
        request,
        LIST_VARIANCE,
        Variance,
        {"since": since},
        ("after_at", "after_id"),
        lambda v: [v.counted_at.isoformat(), str(v.count_id)],
        setup=_pages,
        cursor=_variance_cursor,
    )
