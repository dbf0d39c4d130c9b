"""Purchase orders: draft → submitted → received (or canceled), with partial receipts that move stock.

Every change locks the order row first, so concurrent edits and receipts of one order take turns;
the line's check constraint (received_qty ≤ req_qty) backs the over-receipt rule up in PostgreSQL.
Receipts do not change an item's unit_cost: prices on orders are what was agreed with a supplier,
unit_cost is the kitchen's valuation price, changed deliberately with PATCH /v1/items/{id}.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from neuropilot import audit, idempotency
from neuropilot.catalog import changes
from neuropilot.coldchain import require_zones
from neuropilot.db import Tx, request_transaction
from neuropilot.errors import Problem
from neuropilot.ledger import insert_movements, require_active
from neuropilot.listing import NEWEST_FIRST, keyset_list, newest_first
from neuropilot.models import (
    PurchaseOrder,
    PurchaseOrderCreate,
    PurchaseOrderLineIn,
    PurchaseOrderSummary,
    PurchaseOrderUpdate,
    Receipt,
)
from neuropilot.queries import query
from neuropilot.responses import resource_etag, resource_response
from neuropilot.validation import (
    check_if_match,
    invalid,
    path_id,
    read_json,
)

CREATE_PURCHASE_ORDER = query("CreatePurchaseOrder")
CREATE_PURCHASE_ORDER_LINES = query("CreatePurchaseOrderLines")
DELETE_PURCHASE_ORDER_LINES = query("DeletePurchaseOrderLines")
UPDATE_PURCHASE_ORDER = query("UpdatePurchaseOrder")
LOCK_PURCHASE_ORDER = query("LockPurchaseOrder")
GET_PURCHASE_ORDER = query("GetPurchaseOrder")
LIST_PURCHASE_ORDERS = query("ListPurchaseOrders")
LIST_PURCHASE_ORDER_LINES_FOR_RECEIPT = query("ListPurchaseOrderLinesForReceipt")
RECEIVE_PURCHASE_ORDER_LINES = query("ReceivePurchaseOrderLines")
STATUSES = ("draft", "submitted", "received", "canceled")
MAX_TOTAL_COST = Decimal(10) ** 14  # purchase_order.total_cost is numeric(21, 7)


async def _read(tx: Tx, order_id: Any) -> PurchaseOrder:
    row = await tx.one(GET_PURCHASE_ORDER, {"id": order_id})
    if row is None:
        raise Problem(404, "No such purchase order.")
    return msgspec.convert(row, PurchaseOrder)


async def _lock(tx: Tx, request: Request, expected: tuple[str, ...], action: str) -> dict[str, Any]:
    """The order, locked, if its status allows the action (else 409); If-Match checked."""
    order_id = path_id(request, "purchase order")
    current = await tx.one(LOCK_PURCHASE_ORDER, {"id": order_id})
    if current is None:
        raise Problem(404, "No such purchase order.")
    check_if_match(request, resource_etag(await _read(tx, order_id)))
    if current["status"] not in expected:
        raise Problem(409, f"A {current['status']} purchase order cannot be {action}.")
    return current


async def _write_lines(tx: Tx, order_id: Any, lines: list[PurchaseOrderLineIn]) -> None:
    if sum((Decimal(line.req_qty) * Decimal(line.unit_price) for line in lines), Decimal(0)) >= MAX_TOTAL_COST:
        raise invalid("$.lines", f"the order's total cost would reach {MAX_TOTAL_COST:,}")
    await require_active(tx, [("item", line.item_id, f"$.lines[{n}].item_id") for n, line in enumerate(lines)])
    await tx.exec(
        CREATE_PURCHASE_ORDER_LINES,
        {
            "order_id": order_id,
            "item_ids": [line.item_id for line in lines],
            "req_qtys": [line.req_qty for line in lines],
            "unit_prices": [line.unit_price for line in lines],
            "notes": [line.note for line in lines],
        },
    )


async def _save(tx: Tx, order: dict[str, Any], status: str) -> PurchaseOrder:
    fields = {"id": order["id"], "supplier": order["supplier"], "notes": order["notes"], "status": status}
    await tx.exec(UPDATE_PURCHASE_ORDER, fields)
    return await _read(tx, order["id"])


async def create_purchase_order(request: Request) -> Response:
    body = await read_json(request, PurchaseOrderCreate)
    async with request_transaction(request) as tx:
        await idempotency.begin(tx, request)
        created = await tx.one(
            CREATE_PURCHASE_ORDER, {"po_number": body.po_number, "supplier": body.supplier, "notes": body.notes}
        )
        assert created is not None
        await _write_lines(tx, created["id"], body.lines)
        order = await _save(tx, {"id": created["id"], "supplier": body.supplier, "notes": body.notes}, "draft")
        details = {"po_number": order.po_number, "after": {"status": "draft"}, "lines": len(body.lines)}
        await audit.record(tx, request, "purchase_order.create", "purchase_order", order.id, details)
        return await idempotency.created(tx, request, order, f"/v1/purchase-orders/{order.id}")


async def get_purchase_order(request: Request) -> Response:
    async with request_transaction(request) as tx:
        order = await _read(tx, path_id(request, "purchase order"))
    return resource_response(order)


async def list_purchase_orders(request: Request) -> Response:
    status = request.query_params.get("status")
    if status is not None and status not in STATUSES:
        raise invalid("status", "draft, submitted, received or canceled")
    filters = {"status": status, "supplier": request.query_params.get("supplier")}
    return await keyset_list(request, LIST_PURCHASE_ORDERS, PurchaseOrderSummary, filters, NEWEST_FIRST, newest_first)


async def update_purchase_order(request: Request) -> Response:
    """PATCH: header fields, and `lines` replaces every line; only while draft."""
    body = await read_json(request, PurchaseOrderUpdate)
    new = changes(body)
    async with request_transaction(request) as tx:
        current = await _lock(tx, request, ("draft",), "edited")
        if body.lines is not msgspec.UNSET:
            await tx.exec(DELETE_PURCHASE_ORDER_LINES, {"order_id": current["id"]})
            await _write_lines(tx, current["id"], body.lines)
            new["lines"] = len(body.lines)
        order = await _save(tx, current | {k: v for k, v in new.items() if k != "lines"}, "draft")
        await audit.record(tx, request, "purchase_order.update", "purchase_order", order.id, {"changed": sorted(new)})
    return resource_response(order)


async def _transition(request: Request, expected: tuple[str, ...], status: str, action: str) -> Response:
    async with request_transaction(request) as tx:
        current = await _lock(tx, request, expected, action)
        before = await _read(tx, current["id"])
        if status == "submitted" and not before.lines:
            raise invalid("$.lines", "an empty purchase order cannot be submitted")
        if status == "canceled" and any(Decimal(line.received_qty) > 0 for line in before.lines):
            raise Problem(409, "Goods were already received on this purchase order; it cannot be canceled.")
        order = await _save(tx, current, status)
        details = {"po_number": order.po_number, "before": {"status": current["status"]}, "after": {"status": status}}
        await audit.record(tx, request, f"purchase_order.{action}", "purchase_order", order.id, details)
    return resource_response(order)


async def submit_purchase_order(request: Request) -> Response:
    return await _transition(request, ("draft",), "submitted", "submitted")


async def cancel_purchase_order(request: Request) -> Response:
    return await _transition(request, ("draft", "submitted"), "canceled", "canceled")


def _receipt_plan(body: Receipt, lines: list[dict[str, Any]]) -> list[tuple[dict[str, Any], str]]:
    """(line, qty) pairs, or a 422 naming the receipt line that is unknown, repeated or too much."""
    by_id = {line["id"]: line for line in lines}
    plan: list[tuple[dict[str, Any], str]] = []
    for n, wanted in enumerate(body.lines):
        line = by_id.pop(wanted.line_id, None)
        if line is None:
            raise invalid(f"$.lines[{n}].line_id", "not a line of this purchase order, or named twice")
        if Decimal(wanted.qty) > line["remaining_qty"]:
            raise invalid(f"$.lines[{n}].qty", f"more than the {line['remaining_qty']} that remain to receive")
        plan.append((line, wanted.qty))
    return plan


async def receive_purchase_order(request: Request) -> Response:
    """POST …/receive: one `receive` movement per line at the location, referencing the PO number."""
    body = await read_json(request, Receipt)
    async with request_transaction(request) as tx:
        await idempotency.begin(tx, request)
        current = await _lock(tx, request, ("submitted",), "received")
        await require_active(tx, [("location", body.location_id, "$.location_id")])
        lines = await tx.many(LIST_PURCHASE_ORDER_LINES_FOR_RECEIPT, {"order_id": current["id"]})
        plan = _receipt_plan(body, lines)
        await require_zones(tx, [(line["item_id"], body.location_id, "$.location_id") for line, _ in plan])
        movements = await insert_movements(
            tx,
            [
                {
                    "item_id": line["item_id"],
                    "location_id": body.location_id,
                    "type": "receive",
                    "qty": qty,
                    "note": None,
                    "reference": current["po_number"],
                }
                for line, qty in plan
            ],
        )
        await tx.exec(
            RECEIVE_PURCHASE_ORDER_LINES,
            {"order_id": current["id"], "line_ids": [line["id"] for line, _ in plan], "qtys": [q for _, q in plan]},
        )
        received = await _read(tx, current["id"])
        complete = all(Decimal(line.remaining_qty) == 0 for line in received.lines)
        order = await _save(tx, current, "received" if complete else "submitted")
        details = {
            "po_number": order.po_number,
            "before": {"status": current["status"]},
            "after": {"status": order.status},
            "location_id": body.location_id,
            "received": [{"line_id": line["id"], "qty": qty} for line, qty in plan],
            "movement_ids": [m.id for m in movements],
        }
        await audit.record(tx, request, "purchase_order.receive", "purchase_order", order.id, details)
        return await idempotency.respond(tx, request, order, 200)
