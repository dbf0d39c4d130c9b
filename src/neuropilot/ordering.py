"""Ordering to par (CONTRACT §13): what to order to bring every item below its minimum back up to
its maximum, in whole packs of its preferred supplier, minus what is already on its way; and the
draft purchase order of one supplier's part of it.

The suggestion is one SQL query (ListSuggestedOrder in sql/queries/ordering.sql, where its rules
are written down); the draft is an ordinary draft, made by the same code as POST /v1/purchase-orders.
"""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from neuropilot import idempotency
from neuropilot.db import Tx, request_transaction
from neuropilot.purchasing import create_draft
from neuropilot.purchasing_lines import supplier_of
from neuropilot.purchasing_models import PurchaseOrderCreate, PurchaseOrderLineIn
from neuropilot.queries import query
from neuropilot.supplier_models import FromSuggestion, SuggestedOrderLine
from neuropilot.validation import invalid, read_json, uuid_param

LIST_SUGGESTED_ORDER = query("ListSuggestedOrder")
SET_READ_PLANNER = query("SetReadPlanner")
# RLS hides the tables' sizes from the planner (sql/queries/stock.sql, SetReadPlanner), which then
# sorts 40k stock_level rows to group them and joins by nested loop; every part of the suggestion
# reads whole tables, so hashing is the plan that scales (docs/performance.md).
HASHED = {"enable_sort": "off", "enable_nestloop": "off"}
DEFAULTS = {"enable_sort": "on", "enable_nestloop": "on"}


async def _suggestion(tx: Tx, supplier_id: Any) -> str:
    """The suggested order as PostgreSQL encodes it: a JSON array of SuggestedOrderLine objects.
    Thousands of rows are built there in one value; per-row Python objects cost more than the query."""
    await tx.exec(SET_READ_PLANNER, HASHED)
    row = await tx.one(LIST_SUGGESTED_ORDER, {"supplier_id": supplier_id})
    assert row is not None
    data: str = row["data"]
    return data


async def suggested_order(request: Request) -> Response:
    """GET /v1/reports/suggested-order: items below min_qty, what to order from their preferred
    supplier to bring them back to max_qty (minus what submitted orders still bring), by supplier."""
    supplier_id = uuid_param(request, "supplier_id")
    async with request_transaction(request) as tx:
        data = await _suggestion(tx, supplier_id)
    return Response(b'{"data":' + data.encode() + b"}", media_type="application/json")


def _lines(rows: list[SuggestedOrderLine]) -> list[PurchaseOrderLineIn]:
    """One line per suggested row: its pack, order_qty packs at the supplier item's price."""
    return [
        PurchaseOrderLineIn(item_id=row.item_id, pack_id=row.pack_id, req_qty=row.order_qty, unit_price=price)
        for row in rows
        if (price := row.unit_price) is not None
    ]


async def create_from_suggestion(request: Request) -> Response:
    """POST /v1/purchase-orders/from-suggestion: a draft purchase order of one supplier's suggested
    rows; nothing to order from that supplier is a 422. The draft is changed like any other."""
    body = await read_json(request, FromSuggestion)
    async with request_transaction(request) as tx:
        await idempotency.begin(tx, request)
        await supplier_of(tx, body.supplier_id, None)
        rows = msgspec.json.decode(await _suggestion(tx, body.supplier_id), type=list[SuggestedOrderLine])
        await tx.exec(SET_READ_PLANNER, DEFAULTS)  # the draft's own statements plan as usual
        lines = _lines(rows)
        if not lines:
            raise invalid("$.supplier_id", "nothing to order from this supplier")
        draft = PurchaseOrderCreate(supplier_id=body.supplier_id, notes=body.notes, lines=lines)
        order = await create_draft(tx, request, draft)
        return await idempotency.created(tx, request, order, f"/v1/purchase-orders/{order.id}")
