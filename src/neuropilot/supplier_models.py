"""msgspec Structs of suppliers, what they sell and the suggested order (suppliers.py, ordering.py)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

import msgspec
from msgspec import Meta

from neuropilot.models import Body, Email, Money, Name

Phone = Annotated[str, Meta(min_length=1, max_length=50)]
# Whole days. JSON Schema's integer includes 3.0, which msgspec's int refuses, so it is decoded as a
# whole number (3 or 3.0) and stored as an integer (suppliers.py).
LeadTime = Annotated[float, Meta(ge=0, le=365, multiple_of=1)]
SupplierNotes = Annotated[str, Meta(max_length=2000)]
Sku = Annotated[str, Meta(min_length=1, max_length=100)]


class SupplierCreate(Body):
    name: Name
    contact_email: Email | None = None
    phone: Phone | None = None
    lead_time_days: LeadTime = 1
    notes: SupplierNotes | None = None


class SupplierUpdate(Body):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    contact_email: Email | msgspec.UnsetType | None = msgspec.UNSET
    phone: Phone | msgspec.UnsetType | None = msgspec.UNSET
    lead_time_days: LeadTime | msgspec.UnsetType = msgspec.UNSET
    notes: SupplierNotes | msgspec.UnsetType | None = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class Supplier(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    contact_email: str | None
    phone: str | None
    lead_time_days: int
    notes: str | None
    active: bool
    created_at: datetime
    updated_at: datetime


class SupplierItemCreate(Body):
    """pack_id null: sold by the item's stock unit; price is per pack (or per stock unit)."""

    item_id: uuid.UUID
    price: Money
    pack_id: uuid.UUID | None = None
    sku: Sku | None = None
    preferred: bool = False


class SupplierItemUpdate(Body):
    sku: Sku | msgspec.UnsetType | None = msgspec.UNSET
    price: Money | msgspec.UnsetType = msgspec.UNSET
    preferred: bool | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class SupplierItem(msgspec.Struct, kw_only=True):
    """With the item's number, name and stock unit and the pack's name and qty (null: by the stock unit)."""

    id: uuid.UUID
    supplier_id: uuid.UUID
    item_id: uuid.UUID
    item_number: str
    item_name: str
    unit: str
    pack_id: uuid.UUID | None
    pack_name: str | None
    pack_qty: Decimal | None
    sku: str | None
    price: Decimal
    preferred: bool
    active: bool
    created_at: datetime
    updated_at: datetime


class SupplierItemPrice(msgspec.Struct, kw_only=True):
    """A price the supplier item had from valid_from on; changed_by is who set it (null: the owner)."""

    price: Decimal
    valid_from: datetime
    changed_by: uuid.UUID | None


# The suggested order's quantities are exact sums and products as PostgreSQL prints them.
Exact = Annotated[str, Meta(examples=["12.500"], extra={"decimal": True})]


class SuggestedOrderLine(msgspec.Struct, kw_only=True):
    """An item below its minimum with what to order from its preferred supplier to bring it back to
    max_qty; the supplier and pack fields (and unit_price, line_cost) are null without one, and
    order_qty is then in stock units."""

    item_id: uuid.UUID
    item_number: str
    item_name: str
    unit: str
    on_hand: Exact
    on_order: Exact
    min_qty: Exact
    max_qty: Exact
    need: Exact
    supplier_id: uuid.UUID | None
    supplier_name: str | None
    supplier_item_id: uuid.UUID | None
    pack_id: uuid.UUID | None
    pack_name: str | None
    pack_qty: Exact | None
    order_qty: Exact
    unit_price: Exact | None
    line_cost: Exact | None


class FromSuggestion(Body):
    supplier_id: uuid.UUID
    notes: Annotated[str, Meta(max_length=2000)] | None = None
