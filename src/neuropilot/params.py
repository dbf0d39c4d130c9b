"""The query parameters the handlers read: one constant per parameter, shared by the route table (which
declares them per route), validation.py (which parses them) and the OpenAPI document (which describes them).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from msgspec import Meta


@dataclass(frozen=True)
class Param:
    name: str
    kind: Any  # a type msgspec can describe
    description: str
    required: bool = False


AwareTime = Annotated[datetime, Meta(tz=True)]
LIMIT = Param("limit", Annotated[int, Meta(ge=1, le=200)], "Page size, 1 to 200; 50 when left out.")
CURSOR = Param("cursor", str, "The `next_cursor` of the previous page; leave out for the first page.")
PAGE = (LIMIT, CURSOR)
ITEM_ID = Param("item_id", uuid.UUID, "Only this item.")
LOCATION_ID = Param("location_id", uuid.UUID, "Only this location.")
SINCE = Param("since", AwareTime, "Only from this time on (RFC 3339 with an offset).")
CATEGORY = Param("category", str, "Only this category (exact match).")
ACTIVE = Param("active", bool, "Only active (`true`) or only inactive (`false`) rows.")
SEARCH = Param("q", str, "The start of the item number, or part of the name.")
BELOW_MIN = Param("below_min", bool, "`true`: only rows whose item is below its `min_qty` in total.")
MOVEMENT_TYPE = Param("type", Literal["receive", "use", "adjust", "transfer", "waste"], "Only this kind of movement.")
GROUP_BY = Param("group_by", Literal["category", "location"], "How to group the totals; `category` by default.")
VARIANCE_SINCE = Param("since", AwareTime, "Counts from this time on (RFC 3339 with an offset).", required=True)
PO_STATUS = Param("status", Literal["draft", "submitted", "received", "canceled"], "Only orders in this state.")
SUPPLIER = Param("supplier", str, "Only this supplier (exact match).")
ENTITY = Param("entity", str, "Only this kind of record, e.g. `item`, `purchase_order`, `app_user`.")
ENTITY_ID = Param("entity_id", uuid.UUID, "Only entries about this record.")
ACTOR_ID = Param("actor_id", uuid.UUID, "Only entries by this user.")
DRY_RUN = Param("dry_run", bool, "`true`: check the file and say what the import would do, writing nothing.")
SUPPLIER_SEARCH = Param("q", str, "Part of the supplier's name (case-insensitive).")
SUPPLIER_ID = Param("supplier_id", uuid.UUID, "Only this supplier.")
SESSION_STATUS = Param("status", Literal["open", "posted", "canceled"], "Only count sessions in this state.")
