"""What purchase orders check before they write: the supplier an order names, and lines in packs.

A line may count packs of its item (pack_id): the pack must be an active pack of that item (the
composite foreign key purchase_order_line_pack_of_item says the same inside PostgreSQL), and every
quantity in packs must be a whole number of 0.001 stock units, since that is what a receipt moves.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from neuropilot.db import Tx
from neuropilot.ledger import require_active
from neuropilot.purchasing_models import PurchaseOrderLineIn
from neuropilot.queries import query
from neuropilot.validation import invalid

GET_SUPPLIER = query("GetSupplier")
CREATE_PURCHASE_ORDER_LINES = query("CreatePurchaseOrderLines")
LIST_LINE_PACKS = query("ListLinePacks")
MAX_TOTAL_COST = Decimal(10) ** 14  # purchase_order.total_cost is numeric(21, 7)
MAX_STOCK_QTY = Decimal(10) ** 11  # movement.qty is numeric(14, 3)
STOCK_UNIT = Decimal("0.001")


async def supplier_of(tx: Tx, supplier_id: Any, name: str | None, prefix: str = "$") -> str:
    """The name an order keeps for supplier_id: 422 for an unknown or inactive supplier, or a
    `supplier` given with it that is another supplier's name (names compare case-insensitively)."""
    row = await tx.one(GET_SUPPLIER, {"id": supplier_id})
    if row is None or not row["active"]:
        raise invalid(f"{prefix}.supplier_id", "no active supplier with this id")
    if name is not None and name.lower() != row["name"].lower():
        raise invalid(f"{prefix}.supplier", "not the name of the supplier supplier_id names")
    supplier: str = row["name"]
    return supplier


def in_stock_units(qty: Decimal, pack_qty: Decimal | None, path: str) -> Decimal:
    """qty of the line's unit in stock units, or a 422 naming path when that is not a whole number
    of 0.001 stock units or more than a movement holds."""
    units = qty * (pack_qty if pack_qty is not None else 1)
    if units != units.quantize(STOCK_UNIT):
        raise invalid(path, f"{qty} packs of {pack_qty} are not a whole number of 0.001 stock units")
    if units >= MAX_STOCK_QTY:
        raise invalid(path, f"{units} stock units are more than one movement holds")
    return units.quantize(STOCK_UNIT)


async def _pack_sizes(tx: Tx, lines: list[PurchaseOrderLineIn]) -> dict[int, Decimal]:
    """Each pack line's pack qty by the line's index, or a 422 naming the line's pack_id."""
    rows = await tx.many(
        LIST_LINE_PACKS, {"item_ids": [x.item_id for x in lines], "pack_ids": [x.pack_id for x in lines]}
    )
    sizes: dict[int, Decimal] = {}
    for row in rows:
        n = row["n"] - 1
        if row["id"] is None or not row["active"]:
            raise invalid(f"$.lines[{n}].pack_id", "no active pack of this item with this id")
        sizes[n] = row["qty"]
    return sizes


async def write_lines(tx: Tx, order_id: Any, lines: list[PurchaseOrderLineIn]) -> None:
    """Check the lines (items, packs, total) and insert them in the order given."""
    if sum((Decimal(line.req_qty) * Decimal(line.unit_price) for line in lines), Decimal(0)) >= MAX_TOTAL_COST:
        raise invalid("$.lines", f"the order's total cost would reach {MAX_TOTAL_COST:,}")
    await require_active(tx, [("item", line.item_id, f"$.lines[{n}].item_id") for n, line in enumerate(lines)])
    for n, size in (await _pack_sizes(tx, lines)).items():
        in_stock_units(Decimal(lines[n].req_qty), size, f"$.lines[{n}].req_qty")
    await tx.exec(
        CREATE_PURCHASE_ORDER_LINES,
        {
            "order_id": order_id,
            "item_ids": [line.item_id for line in lines],
            "pack_ids": [line.pack_id for line in lines],
            "req_qtys": [line.req_qty for line in lines],
            "unit_prices": [line.unit_price for line in lines],
            "notes": [line.note for line in lines],
        },
    )
