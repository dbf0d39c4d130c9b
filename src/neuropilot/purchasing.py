"""Purchase orders: draft → submitted → received (or canceled), with partial receipts that move stock.

Every change locks the order row first, so concurrent edits and receipts of one order take turns;
the line's check constraint (received_qty ≤ req_qty) backs the over-receipt rule up in PostgreSQL.
An order may name a supplier (supplier_id) and its lines may count packs (purchasing_lines.py); a
receipt of packs moves packs x pack qty stock units. Receipts do not change an item's unit_cost:
prices on orders are what was agreed with a supplier, unit_cost is the kitchen's valuation price,
changed deliberately with PATCH /v1/items/{id}. An invoice price given on a receipt is kept on the
line (received_price) and becomes the price of the supplier's item for that (item, pack).
"""

from __future__ import annotations

from dataclasses import dataclass
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
from neuropilot.purchasing_lines import in_stock_units, supplier_of, write_lines
from neuropilot.purchasing_models import (
    PurchaseOrder,
    PurchaseOrderCreate,
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
    uuid_param,
)

CREATE_PURCHASE_ORDER = query("CreatePurchaseOrder")
DELETE_PURCHASE_ORDER_LINES = query("DeletePurchaseOrderLines")
UPDATE_PURCHASE_ORDER = query("UpdatePurchaseOrder")
LOCK_PURCHASE_ORDER = query("LockPurchaseOrder")
GET_PURCHASE_ORDER = query("GetPurchaseOrder")
LIST_PURCHASE_ORDERS = query("ListPurchaseOrders")
LIST_PURCHASE_ORDER_LINES_FOR_RECEIPT = query("ListPurchaseOrderLinesForReceipt")
RECEIVE_PURCHASE_ORDER_LINES = query("ReceivePurchaseOrderLines")
UPDATE_SUPPLIER_PRICES_FROM_RECEIPT = query("UpdateSupplierPricesFromReceipt")
STATUSES = ("draft", "submitted", "received", "canceled")


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


async def _save(tx: Tx, order: dict[str, Any], status: str) -> PurchaseOrder:
    fields = {k: order[k] for k in ("id", "supplier", "supplier_id", "notes")} | {"status": status}
    await tx.exec(UPDATE_PURCHASE_ORDER, fields)
    return await _read(tx, order["id"])


async def _header(tx: Tx, body: PurchaseOrderCreate) -> dict[str, Any]:
    """supplier, supplier_id, po_number and notes of a new order."""
    if body.supplier_id is not None:
        supplier = await supplier_of(tx, body.supplier_id, body.supplier)
    elif body.supplier is not None:
        supplier = body.supplier
    else:
        raise invalid("$.supplier", "required: the supplier's name, or supplier_id")
    return {"supplier": supplier, "supplier_id": body.supplier_id, "po_number": body.po_number, "notes": body.notes}


async def create_draft(tx: Tx, request: Request, body: PurchaseOrderCreate) -> PurchaseOrder:
    """A new draft with its lines and its audit row (also the draft of a suggested order)."""
    header = await _header(tx, body)
    created = await tx.one(CREATE_PURCHASE_ORDER, header)
    assert created is not None
    await write_lines(tx, created["id"], body.lines)
    order = await _save(tx, header | {"id": created["id"]}, "draft")
    details = {"po_number": order.po_number, "after": {"status": "draft"}, "lines": len(body.lines)}
    await audit.record(tx, request, "purchase_order.create", "purchase_order", order.id, details)
    return order


async def create_purchase_order(request: Request) -> Response:
    body = await read_json(request, PurchaseOrderCreate)
    async with request_transaction(request) as tx:
        await idempotency.begin(tx, request)
        order = await create_draft(tx, request, body)
        return await idempotency.created(tx, request, order, f"/v1/purchase-orders/{order.id}")


async def get_purchase_order(request: Request) -> Response:
    async with request_transaction(request) as tx:
        order = await _read(tx, path_id(request, "purchase order"))
    return resource_response(order)


async def list_purchase_orders(request: Request) -> Response:
    status = request.query_params.get("status")
    if status is not None and status not in STATUSES:
        raise invalid("status", "draft, submitted, received or canceled")
    filters = {
        "status": status,
        "supplier": request.query_params.get("supplier"),
        "supplier_id": uuid_param(request, "supplier_id"),
    }
    return await keyset_list(request, LIST_PURCHASE_ORDERS, PurchaseOrderSummary, filters, NEWEST_FIRST, newest_first)


async def update_purchase_order(request: Request) -> Response:
    """PATCH: header fields, and `lines` replaces every line; only while draft."""
    body = await read_json(request, PurchaseOrderUpdate)
    new = changes(body)
    async with request_transaction(request) as tx:
        current = await _lock(tx, request, ("draft",), "edited")
        header = current | {k: v for k, v in new.items() if k != "lines"}
        if header["supplier_id"] is not None and {"supplier", "supplier_id"} & new.keys():
            header["supplier"] = await supplier_of(tx, header["supplier_id"], new.get("supplier"))
        if body.lines is not msgspec.UNSET:
            await tx.exec(DELETE_PURCHASE_ORDER_LINES, {"order_id": current["id"]})
            await write_lines(tx, current["id"], body.lines)
            new["lines"] = len(body.lines)
        order = await _save(tx, header, "draft")
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


@dataclass(frozen=True)
class Received:
    """One receipt line: qty and price in the line's unit, stock_qty in stock units."""

    line: dict[str, Any]
    qty: str
    stock_qty: Decimal
    price: str | None


def _receipt_plan(body: Receipt, lines: list[dict[str, Any]]) -> list[Received]:
    """What each receipt line receives, or a 422 naming the receipt line that is unknown, repeated,
    too much, or (in packs) not a whole number of 0.001 stock units."""
    by_id = {line["id"]: line for line in lines}
    plan: list[Received] = []
    for n, wanted in enumerate(body.lines):
        line = by_id.pop(wanted.line_id, None)
        if line is None:
            raise invalid(f"$.lines[{n}].line_id", "not a line of this purchase order, or named twice")
        if Decimal(wanted.qty) > line["remaining_qty"]:
            raise invalid(f"$.lines[{n}].qty", f"more than the {line['remaining_qty']} that remain to receive")
        stock_qty = in_stock_units(Decimal(wanted.qty), line["pack_qty"], f"$.lines[{n}].qty")
        plan.append(Received(line, wanted.qty, stock_qty, wanted.unit_price))
    return plan


async def _update_supplier_prices(tx: Tx, order: dict[str, Any], plan: list[Received]) -> list[dict[str, Any]]:
    """Invoice prices become the supplier's prices for those (item, pack) pairs (the last one given wins)."""
    prices = {(r.line["item_id"], r.line["pack_id"]): r.price for r in plan if r.price is not None}
    if order["supplier_id"] is None or not prices:
        return []
    params = {
        "supplier_id": order["supplier_id"],
        "item_ids": [item for item, _ in prices],
        "pack_ids": [pack for _, pack in prices],
        "prices": list(prices.values()),
    }
    return await tx.many(UPDATE_SUPPLIER_PRICES_FROM_RECEIPT, params)


async def receive_purchase_order(request: Request) -> Response:
    """POST …/receive: one `receive` movement per line at the location, referencing the PO number;
    a line in packs moves packs x pack qty stock units."""
    body = await read_json(request, Receipt)
    async with request_transaction(request) as tx:
        await idempotency.begin(tx, request)
        current = await _lock(tx, request, ("submitted",), "received")
        await require_active(tx, [("location", body.location_id, "$.location_id")])
        lines = await tx.many(LIST_PURCHASE_ORDER_LINES_FOR_RECEIPT, {"order_id": current["id"]})
        plan = _receipt_plan(body, lines)
        await require_zones(tx, [(r.line["item_id"], body.location_id, "$.location_id") for r in plan])
        movements = await insert_movements(
            tx,
            [
                {
                    "item_id": r.line["item_id"],
                    "location_id": body.location_id,
                    "type": "receive",
                    "qty": r.stock_qty,
                    "note": None,
                    "reference": current["po_number"],
                }
                for r in plan
            ],
        )
        await tx.exec(
            RECEIVE_PURCHASE_ORDER_LINES,
            {
                "order_id": current["id"],
                "line_ids": [r.line["id"] for r in plan],
                "qtys": [r.qty for r in plan],
                "prices": [r.price for r in plan],
            },
        )
        repriced = await _update_supplier_prices(tx, current, plan)
        received = await _read(tx, current["id"])
        complete = all(Decimal(line.remaining_qty) == 0 for line in received.lines)
        order = await _save(tx, current, "received" if complete else "submitted")
        details = {
            "po_number": order.po_number,
            "before": {"status": current["status"]},
            "after": {"status": order.status},
            "location_id": body.location_id,
            "received": [{"line_id": r.line["id"], "qty": r.qty, "unit_price": r.price} for r in plan],
            "movement_ids": [m.id for m in movements],
            "supplier_prices": [{"supplier_item_id": row["id"], "price": row["price"]} for row in repriced],
        }
        await audit.record(tx, request, "purchase_order.receive", "purchase_order", order.id, details)
        return await idempotency.respond(tx, request, order, 200)
