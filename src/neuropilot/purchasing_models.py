"""msgspec Structs of purchase orders (purchasing.py): bodies and the order as the API shows it.

A line with a pack_id counts packs: req_qty, received_qty, remaining_qty, receipt quantities and
unit_price are per pack; without one they are in the item's stock unit.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from neuropilot.models import Body, DecimalText, ExactMoney, Money, Note, PoNotes, PoNumber, PositiveQty
from neuropilot.models import Supplier as SupplierName


class PurchaseOrderLineIn(Body):
    item_id: uuid.UUID
    req_qty: PositiveQty
    unit_price: Money
    pack_id: uuid.UUID | None = None
    note: Note | None = None


class PurchaseOrderCreate(Body):
    """supplier (a name) or supplier_id (then supplier is that supplier's name), or both if they agree."""

    supplier: SupplierName | None = None
    supplier_id: uuid.UUID | None = None
    po_number: PoNumber | None = None
    notes: PoNotes | None = None
    lines: Annotated[list[PurchaseOrderLineIn], Meta(max_length=500)] = []  # noqa: RUF012 - msgspec copies it


class PurchaseOrderUpdate(Body):
    supplier: SupplierName | msgspec.UnsetType = msgspec.UNSET
    supplier_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    notes: PoNotes | msgspec.UnsetType | None = msgspec.UNSET
    lines: Annotated[list[PurchaseOrderLineIn], Meta(max_length=500)] | msgspec.UnsetType = msgspec.UNSET


class ReceiptLine(Body):
    """unit_price: what the invoice charged per the line's unit (pack or stock unit), if it says."""

    line_id: uuid.UUID
    qty: PositiveQty
    unit_price: Money | None = None


class Receipt(Body):
    location_id: uuid.UUID
    lines: Annotated[list[ReceiptLine], Meta(min_length=1, max_length=500)]


class PurchaseOrderLine(msgspec.Struct, kw_only=True):
    """pack_id, pack_name and pack_qty are null when the line is in stock units; received_price is
    the last receipt's invoice price, null until a receipt gave one."""

    id: uuid.UUID
    item_id: uuid.UUID
    pack_id: uuid.UUID | None
    pack_name: str | None
    pack_qty: DecimalText | None
    req_qty: DecimalText
    unit_price: DecimalText | None
    received_qty: DecimalText
    remaining_qty: DecimalText
    received_price: DecimalText | None
    note: str | None


class PriceVariance(msgspec.Struct, kw_only=True):
    """A line whose invoice price differs from the ordered one: difference = received - ordered."""

    line_id: uuid.UUID
    ordered: DecimalText | None
    received: DecimalText
    difference: DecimalText | None


class PurchaseOrderSummary(msgspec.Struct, kw_only=True):
    """total_cost is exact (scale 7) as PostgreSQL prints it."""

    id: uuid.UUID
    po_number: str
    supplier: str
    supplier_id: uuid.UUID | None
    status: Literal["draft", "submitted", "received", "canceled"]
    total_cost: ExactMoney
    notes: str | None
    created_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class PurchaseOrder(PurchaseOrderSummary, kw_only=True):
    lines: list[PurchaseOrderLine]
    price_variances: list[PriceVariance]
