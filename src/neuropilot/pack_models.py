"""msgspec Structs of packs (CONTRACT §11). A count's breakdown (BreakdownPart, CountedPart) is in
models.py beside the Count it belongs to."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

import msgspec
from msgspec import Meta

from neuropilot.models import _END, _TRIMMED_LINE, Body, Item

# A pack holds qty stock units: numeric(14,3) > 0.
PackQty = Annotated[str, Meta(pattern=r"^(?=[0-9.]*[1-9])[0-9]{1,11}(\.[0-9]{1,3})?" + _END, examples=["6.000"])]
PackName = Annotated[str, Meta(min_length=1, max_length=30, pattern=_TRIMMED_LINE, examples=["case"])]


class PackCreate(Body):
    name: PackName
    qty: PackQty


class PackUpdate(Body):
    name: PackName | msgspec.UnsetType = msgspec.UNSET
    qty: PackQty | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class Pack(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    item_id: uuid.UUID
    name: str
    qty: Decimal
    active: bool
    created_at: datetime
    updated_at: datetime


class PackSummary(msgspec.Struct, kw_only=True):
    """A pack as GET /v1/items/{id} lists it."""

    id: uuid.UUID
    name: str
    qty: Decimal
    active: bool


class ItemWithPacks(Item):
    """GET /v1/items/{id}: the item and its packs (inactive ones too). Its ETag is the item's alone,
    as PATCH /v1/items/{id} compares If-Match with the item, not with its packs."""

    packs: list[PackSummary]
