"""Waste (CONTRACT §15): POST /v1/waste records stock thrown away, with its reason, as a movement of
type waste (qty stored negated, like a use); GET /v1/reports/waste values it.

Counters may post waste (they find the spoiled tray), and RLS lets them insert waste movements and
no other kind (sql/policies/movement.sql). Waste is never refused for the cold chain: it records
what is there.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from neuropilot import audit, idempotency
from neuropilot.db import request_transaction
from neuropilot.kitchen_models import WasteCreate, WasteReport
from neuropilot.ledger import insert_movements, require_active
from neuropilot.params import Param
from neuropilot.queries import query
from neuropilot.responses import json_response
from neuropilot.stock import TOTALS, reading
from neuropilot.usage import PERIOD, money_sum, period
from neuropilot.validation import invalid, read_json

LIST_WASTE_BY = query("ListWasteBy")
GROUPS = ("reason", "item", "category")
WASTE_GROUP_BY = Param(
    "group_by",
    Literal["reason", "item", "category"],
    "`reason` (default), `item` (key: item_number; with qty) or `category` (key null: no category).",
)
WASTE_QUERY = (*PERIOD, WASTE_GROUP_BY)


async def create_waste(request: Request) -> Response:
    """POST /v1/waste: stock wasted at a location, with its reason; 201 the waste movement."""
    body = await read_json(request, WasteCreate)
    row = msgspec.structs.asdict(body) | {"type": "waste", "qty": str(-Decimal(body.qty)), "reference": None}
    async with request_transaction(request) as tx:
        await idempotency.begin(tx, request)
        await require_active(tx, [("item", body.item_id, "$.item_id"), ("location", body.location_id, "$.location_id")])
        (movement,) = await insert_movements(tx, [row])
        await audit.record(tx, request, "movement.waste", "movement", movement.id, msgspec.structs.asdict(body))
        return await idempotency.created(tx, request, movement)


async def waste_report(request: Request) -> Response:
    """GET /v1/reports/waste?since=&until=&group_by=: waste in (since, until], valued at unit_cost, costliest first."""
    since, until = period(request)
    group_by = request.query_params.get("group_by", "reason")
    if group_by not in GROUPS:
        raise invalid("group_by", "reason, item or category")
    async with reading(request, TOTALS) as tx:
        rows = await tx.many(LIST_WASTE_BY, {"since": since, "until": until, "group_by": group_by})
    groups = [row if group_by == "item" else {"key": row["key"], "value": row["value"]} for row in rows]
    body = {"data": groups, "total_value": money_sum([row["value"] for row in rows])}
    return json_response(msgspec.convert(body, WasteReport))
