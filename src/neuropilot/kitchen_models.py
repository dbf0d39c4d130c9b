"""msgspec Structs of waste and the usage and waste reports (CONTRACT §15)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import msgspec

from neuropilot.models import Body, ExactMoney, Note, PositiveQty, WasteReason


class WasteCreate(Body):
    """qty: a positive amount in stock units (stored negated: waste lowers stock)."""

    item_id: uuid.UUID
    location_id: uuid.UUID
    qty: PositiveQty
    reason: WasteReason
    note: Note | None = None


class WasteGroup(msgspec.Struct, kw_only=True):
    """key: the reason, the item's item_number, or the category (null: items without one).
    qty (stock units wasted) only when grouped by item; value = Σ qty * unit_cost (0 when uncosted)."""

    key: str | None
    qty: Decimal | msgspec.UnsetType = msgspec.UNSET
    value: ExactMoney


class WasteReport(msgspec.Struct, kw_only=True):
    data: list[WasteGroup]
    total_value: ExactMoney


class UsageRow(msgspec.Struct, kw_only=True):
    """One item over the period, all locations together, in stock units. used and wasted are positive
    amounts, adjusted is signed; consumption = opening + received - closing; consumption_value is null
    when the item has no unit_cost."""

    item_id: uuid.UUID
    item_number: str
    item_name: str
    unit: str
    category: str | None
    opening: Decimal
    received: Decimal
    used: Decimal
    wasted: Decimal
    adjusted: Decimal
    closing: Decimal
    consumption: Decimal
    unit_cost: Decimal | None
    consumption_value: ExactMoney | None


class UsageTotals(msgspec.Struct, kw_only=True):
    """Sums over the costed items; uncosted_items: rows without a unit_cost, left out of both sums."""

    consumption_value: ExactMoney
    received_value: ExactMoney
    uncosted_items: int


class UsageReport(msgspec.Struct, kw_only=True):
    data: list[UsageRow]
    totals: UsageTotals
