"""msgspec Structs of count sheets and count sessions (CONTRACT §14)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from neuropilot.models import AwareTime, Body, Breakdown, CountedPart, ExactMoney, Note, Qty

SessionStatus = Literal["open", "posted", "canceled"]
MAX_SHEET_ITEMS = 5000


class SheetReplace(Body):
    """The items kept at a location, in shelf order (position = place in the list, from 1)."""

    items: Annotated[list[uuid.UUID], Meta(max_length=MAX_SHEET_ITEMS)]


class SheetItem(msgspec.Struct, kw_only=True):
    item_id: uuid.UUID
    item_number: str
    item_name: str
    unit: str
    position: int


class Sheet(msgspec.Struct, kw_only=True):
    data: list[SheetItem]


class CountSessionCreate(Body):
    location_ids: Annotated[list[uuid.UUID], Meta(min_length=1, max_length=50)]
    blind: bool = False
    note: Note | None = None


class CountSession(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    status: SessionStatus
    blind: bool
    location_ids: list[uuid.UUID]
    note: str | None
    started_at: datetime
    created_by: uuid.UUID
    posted_at: datetime | None
    lines_total: int
    lines_counted: int


class PostedCountSession(CountSession, kw_only=True):
    counts_created: int


class CountSessionPost(Body):
    """keep: uncounted lines change nothing; zero: each becomes a count of 0 at the posting time."""

    uncounted: Literal["keep", "zero"]


class LineRecord(Body):
    """qty_on_hand in stock units, or breakdown in packs instead: exactly one of the two."""

    item_id: uuid.UUID
    location_id: uuid.UUID
    qty_on_hand: Qty | None = None
    breakdown: Breakdown | None = None
    counted_at: AwareTime | None = None


class LinePack(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    name: str
    qty: Decimal


class CountSessionLine(msgspec.Struct, kw_only=True):
    """expected: on-hand now; null for a counter in a blind session. counted_*: null until counted."""

    item_id: uuid.UUID
    item_number: str
    item_name: str
    unit: str
    packs: list[LinePack]
    location_id: uuid.UUID
    location_code: str
    position: int
    expected: Decimal | None
    counted_qty: Decimal | None
    breakdown: list[CountedPart] | None
    counted_at: datetime | None
    counted_by: uuid.UUID | None


class LineVariance(msgspec.Struct, kw_only=True):
    item_id: uuid.UUID
    item_number: str
    location_id: uuid.UUID
    expected: Decimal
    counted_qty: Decimal
    variance: Decimal
    variance_value: ExactMoney


class SessionVariance(msgspec.Struct, kw_only=True):
    """Counted lines against the on-hand expected as of each line's counted_at; total_value = Σ variance_value."""

    data: list[LineVariance]
    total_value: ExactMoney
