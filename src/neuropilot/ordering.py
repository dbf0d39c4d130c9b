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
from neuropilot.responses import json_response
from neuropilot.stock import TOTALS
from neuropilot.supplier_models import FromSuggestion, SuggestedOrderLine
from neuropilot.validation import invalid, read_json, uuid_param

LIST_SUGGESTED_ORDER = query("ListSuggestedOrder")
SET_READ_PLANNER = query("SetReadPlanner")


async def _suggestion(tx: Tx, supplier_id: Any) -> list[SuggestedOrderLine]:
    # RLS hides the tables' sizes from the planner; the whole-table plan is the one that scales
    # (stock.py TOTALS, docs/performance.md).
    await tx.exec(SET_READ_PLANNER, TOTALS)
    rows = await tx.many(LIST_SUGGESTED_ORDER, {"supplier_id": supplier_id})
    return msgspec.convert(rows, list[SuggestedOrderLine])


async def suggested_order(request: Request) -> Response:
    """GET /v1/reports/suggested-order: items below min_qty, what to order from their preferred
    supplier to bring them back to max_qty (minus what submitted orders still bring), by supplier."""
    supplier_id = uuid_param(request, "supplier_id")
    async with request_transaction(request) as tx:
        rows = await _suggestion(tx, supplier_id)
    return json_response({"data": rows})


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
        lines = _lines(await _suggestion(tx, body.supplier_id))
        if not lines:
            raise invalid("$.supplier_id", "nothing to order from this supplier")
        draft = PurchaseOrderCreate(supplier_id=body.supplier_id, notes=body.notes, lines=lines)
        order = await create_draft(tx, request, draft)
        return await idempotency.created(tx, request, order, f"/v1/purchase-orders/{order.id}")
