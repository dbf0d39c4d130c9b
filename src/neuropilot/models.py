"""msgspec Structs at the edges: one per request body and one per response row.

The same types validate requests (422 naming the field's path) and, later, generate OpenAPI.
Quantities and money are Decimal end to end and travel as JSON strings.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

Role = Literal["admin", "manager", "counter", "viewer"]
# msgspec checks patterns with Python's re, OpenAPI clients and fuzzers with ECMA-262 (JSON Schema); the
# patterns here mean the same to both: [0-9] (Python's \d takes any script's digits), whitespace spelled
# out (the engines' \s differ), no "." (Python's takes \r and \u2028), and an end that is the end of the
# string (Python's $ also matches before a final newline, which let "FLOUR\n" through).
_SPACE = r"\s\x1c-\x1f\x85\ufeff"
_END = r"$(?!\n)"
_TRIMMED_LINE = rf"^[^{_SPACE}]([^\n\r\u2028\u2029]*[^{_SPACE}])?{_END}"
Email = Annotated[
    str, Meta(min_length=3, max_length=254, pattern=rf"^[^@{_SPACE}]+@[^@{_SPACE}]+\.[^@{_SPACE}]+{_END}")
]
Password = Annotated[str, Meta(max_length=1024)]
NewPassword = Annotated[str, Meta(min_length=12, max_length=1024)]
DisplayName = Annotated[str, Meta(min_length=1, max_length=200)]


class Body(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Request bodies refuse fields they do not know: a typo must not be silently ignored."""


class LoginRequest(Body):
    email: Email
    password: Password


class RefreshRequest(Body):
    refresh_token: Annotated[str, Meta(min_length=1, max_length=4096)]


class TokenPair(msgspec.Struct, kw_only=True):
    access_token: str
    # Absent in browser sign-in (X-NeuroPilot-Client: web): the refresh token is then an HttpOnly cookie.
    refresh_token: str | msgspec.UnsetType = msgspec.UNSET
    token_type: str = "Bearer"  # noqa: S105 - the scheme's name, not a secret
    expires_in: int = 900


class User(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    email: str
    display_name: str
    role: Role
    active: bool
    created_at: datetime
    updated_at: datetime


class MeUpdate(Body):
    display_name: DisplayName | msgspec.UnsetType = msgspec.UNSET
    password: NewPassword | msgspec.UnsetType = msgspec.UNSET
    current_password: Password | msgspec.UnsetType = msgspec.UNSET


class UserCreate(Body):
    email: Email
    display_name: DisplayName
    role: Role
    password: NewPassword


class UserUpdate(Body):
    display_name: DisplayName | msgspec.UnsetType = msgspec.UNSET
    role: Role | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class AuditEntry(msgspec.Struct, kw_only=True):
    id: int
    actor_id: uuid.UUID | None
    action: str
    entity: str
    entity_id: uuid.UUID | None
    details: dict[str, object] | None
    ip: str | None
    user_agent: str | None
    created_at: datetime


# --- catalog and ledger: items, locations, counts, movements, transfers (catalog.py, ledger.py) ---

# Quantities and money travel as decimal strings. The patterns match the columns exactly
# (numeric(14,3), numeric(12,3), numeric(14,4)), so nothing is ever rounded on the way in.
Qty = Annotated[str, Meta(pattern=r"^[0-9]{1,11}(\.[0-9]{1,3})?" + _END, examples=["12.500"])]
SignedQty = Annotated[str, Meta(pattern=r"^-?[0-9]{1,11}(\.[0-9]{1,3})?" + _END, examples=["-0.250"])]
ParLevel = Annotated[str, Meta(pattern=r"^[0-9]{1,9}(\.[0-9]{1,3})?" + _END, examples=["5.000"])]
Money = Annotated[str, Meta(pattern=r"^[0-9]{1,10}(\.[0-9]{1,4})?" + _END, examples=["3.2500"])]
Code = Annotated[str, Meta(min_length=1, max_length=50, pattern=_TRIMMED_LINE)]
Name = Annotated[str, Meta(min_length=1, max_length=200)]
Unit = Annotated[str, Meta(min_length=1, max_length=20)]
Category = Annotated[str, Meta(min_length=1, max_length=100)]
Note = Annotated[str, Meta(max_length=1000)]
Reference = Annotated[str, Meta(max_length=100)]
AwareTime = Annotated[datetime, Meta(tz=True)]
TempZone = Literal["dry", "cooler", "freezer"]
WasteReason = Literal["spoiled", "expired", "damaged", "overproduction", "returned", "other"]


class LocationCreate(Body):
    code: Code
    name: Name
    temp_zone: TempZone


class LocationUpdate(Body):
    code: Code | msgspec.UnsetType = msgspec.UNSET
    name: Name | msgspec.UnsetType = msgspec.UNSET
    temp_zone: TempZone | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class Location(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    code: str
    name: str
    temp_zone: TempZone
    active: bool
    created_at: datetime


class ItemCreate(Body):
    item_number: Code
    name: Name
    unit: Unit
    category: Category | None = None
    min_qty: ParLevel = "0"
    max_qty: ParLevel = "0"
    unit_cost: Money | None = None
    storage_zone: TempZone | None = None


class ItemUpdate(Body):
    item_number: Code | msgspec.UnsetType = msgspec.UNSET
    name: Name | msgspec.UnsetType = msgspec.UNSET
    unit: Unit | msgspec.UnsetType = msgspec.UNSET
    category: Category | msgspec.UnsetType | None = msgspec.UNSET
    min_qty: ParLevel | msgspec.UnsetType = msgspec.UNSET
    max_qty: ParLevel | msgspec.UnsetType = msgspec.UNSET
    unit_cost: Money | msgspec.UnsetType | None = msgspec.UNSET
    storage_zone: TempZone | msgspec.UnsetType | None = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class Item(msgspec.Struct):
    """Positional too: the one-statement list builds it from tuple rows (db.Database.statement)."""

    id: uuid.UUID
    item_number: str
    name: str
    unit: str
    category: str | None
    min_qty: Decimal
    max_qty: Decimal
    unit_cost: Decimal | None
    storage_zone: TempZone | None  # where it must be kept (cold chain, CONTRACT §15); null: anywhere
    active: bool
    created_at: datetime
    updated_at: datetime


class BreakdownPart(Body):
    """qty packs of pack_id (null: qty stock units); packs.py turns parts into the stock-unit total."""

    pack_id: uuid.UUID | None
    qty: Qty


class CountedPart(msgspec.Struct, kw_only=True):
    """A stored part: what was entered, and the pack's size when counted ("1" for stock units)."""

    pack_id: uuid.UUID | None
    qty: str
    pack_qty: str


Breakdown = Annotated[list[BreakdownPart], Meta(min_length=1, max_length=10)]


class CountCreate(Body):
    """qty_on_hand in stock units, or breakdown (in packs) instead: exactly one of the two."""

    item_id: uuid.UUID
    location_id: uuid.UUID
    qty_on_hand: Qty | None = None
    breakdown: Breakdown | None = None
    counted_at: AwareTime | None = None


class CountBatch(Body):
    counts: Annotated[list[CountCreate], Meta(min_length=1, max_length=500)]


class Count(msgspec.Struct):
    """Positional too: POST /v1/counts builds it from a tuple row (db.Database.statement)."""

    id: uuid.UUID
    item_id: uuid.UUID
    location_id: uuid.UUID
    counted_by: uuid.UUID | None
    qty_on_hand: Decimal
    counted_at: datetime
    breakdown: list[CountedPart] | None


class MovementCreate(Body):
    """type waste is refused here (422): waste has a reason, and is posted with POST /v1/waste."""

    item_id: uuid.UUID
    location_id: uuid.UUID
    type: Literal["receive", "use", "adjust", "waste"]
    qty: SignedQty
    note: Note | None = None
    reference: Reference | None = None


class Movement(msgspec.Struct, kw_only=True):
    """qty as stored: the signed change to on-hand (a use of 2 is "-2.000")."""

    id: uuid.UUID
    item_id: uuid.UUID
    location_id: uuid.UUID
    type: Literal["receive", "use", "adjust", "transfer", "waste"]
    qty: Decimal
    note: str | None
    reference: str | None
    reason: WasteReason | None  # why it was wasted; null unless type is waste
    created_by: uuid.UUID | None
    created_at: datetime


class TransferCreate(Body):
    item_id: uuid.UUID
    from_location_id: uuid.UUID
    to_location_id: uuid.UUID
    qty: Qty
    note: Note | None = None
    reference: Reference | None = None


class Transfer(msgspec.Struct, kw_only=True):
    out: Movement
    in_: Movement = msgspec.field(name="in")


# --- stock and reports (stock.py) ---

# Money in reports is on_hand (scale 3) times unit_cost (scale 4): exact at scale 7, where a Decimal
# would print a small value in E notation ("1E-7"), so those fields are PostgreSQL's plain text.
# extra={"decimal": True} tells the CSV export (spreadsheets/export.py) that such a str is a number.
ExactMoney = Annotated[str, Meta(examples=["12.5000000"], extra={"decimal": True})]
DecimalText = Annotated[str, Meta(extra={"decimal": True})]


class StockLevel(msgspec.Struct):  # positional too: the one-statement page builds it from tuple rows
    item_id: uuid.UUID
    item_number: str
    item_name: str
    unit: str
    category: str | None
    location_id: uuid.UUID
    location_code: str
    location_name: str
    on_hand: Decimal
    last_count_at: datetime | None
    last_count_qty: Decimal | None
    updated_at: datetime


class LowStockItem(msgspec.Struct, kw_only=True):
    item_id: uuid.UUID
    item_number: str
    item_name: str
    unit: str
    category: str | None
    on_hand: Decimal
    min_qty: Decimal
    max_qty: Decimal
    reorder_qty: Decimal


class CategoryValue(msgspec.Struct, kw_only=True):
    category: str | None
    value: ExactMoney
    items: int
    uncosted_items: int


class LocationValue(msgspec.Struct, kw_only=True):
    location_id: uuid.UUID
    location_code: str
    location_name: str
    value: ExactMoney
    items: int
    uncosted_items: int


class Valuation(msgspec.Struct, kw_only=True):
    """The grand total; uncosted_items: items with stock but no unit_cost, valued at 0."""

    total_value: ExactMoney
    items: int
    uncosted_items: int


class CategoryValuation(Valuation, kw_only=True):
    group_by: Literal["category"] = "category"
    groups: list[CategoryValue]


class LocationValuation(Valuation, kw_only=True):
    group_by: Literal["location"] = "location"
    groups: list[LocationValue]


class Variance(msgspec.Struct, kw_only=True):
    count_id: uuid.UUID
    item_id: uuid.UUID
    item_number: str
    item_name: str
    location_id: uuid.UUID
    location_code: str
    counted_at: datetime
    counted_qty: Decimal
    expected_qty: Decimal
    variance: Decimal
    variance_value: ExactMoney | None


# --- purchasing: the types; the Structs are in purchasing_models.py ---

PositiveQty = Annotated[str, Meta(pattern=r"^(?=[0-9.]*[1-9])[0-9]{1,11}(\.[0-9]{1,3})?" + _END, examples=["24.000"])]
Supplier = Annotated[str, Meta(min_length=1, max_length=200)]
PoNumber = Annotated[str, Meta(min_length=1, max_length=50, pattern=_TRIMMED_LINE)]
PoNotes = Annotated[str, Meta(max_length=2000)]
