"""Count sheets: the items kept at a location in shelf order (PUT replaces the sheet, GET reads it)."""

from __future__ import annotations

import uuid

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from neuropilot import audit
from neuropilot.counting.models import Sheet, SheetItem, SheetReplace
from neuropilot.db import Tx, request_transaction
from neuropilot.errors import Problem
from neuropilot.ledger import require_active
from neuropilot.queries import query
from neuropilot.responses import json_response
from neuropilot.validation import invalid, path_id, read_json

GET_LOCATION = query("GetLocation")
LOCK_LOCATION_FOR_SHEET = query("LockLocationForSheet")
DELETE_SHEET = query("DeleteSheet")
CREATE_SHEET_ITEMS = query("CreateSheetItems")
LIST_SHEET = query("ListSheet")


def _refuse_duplicates(items: list[uuid.UUID]) -> None:
    seen: set[uuid.UUID] = set()
    for n, item_id in enumerate(items):
        if item_id in seen:
            raise invalid(f"$.items[{n}]", "this item is already on the sheet")
        seen.add(item_id)


async def _read(tx: Tx, location_id: uuid.UUID) -> Sheet:
    return Sheet(data=msgspec.convert(await tx.many(LIST_SHEET, {"location_id": location_id}), list[SheetItem]))


async def get_location_sheet(request: Request) -> Response:
    """GET /v1/locations/{id}/sheet: the location's count sheet in shelf order."""
    location_id = path_id(request, "location")
    async with request_transaction(request) as tx:
        if await tx.one(GET_LOCATION, {"id": location_id}) is None:
            raise Problem(404, "No such location.")
        sheet = await _read(tx, location_id)
    return json_response(sheet)


async def replace_location_sheet(request: Request) -> Response:
    """PUT /v1/locations/{id}/sheet: the sheet becomes these items, in this order (position 1, 2, …).
    Every item must be active and named once; an empty list clears the sheet."""
    location_id = path_id(request, "location")
    body = await read_json(request, SheetReplace)
    _refuse_duplicates(body.items)
    async with request_transaction(request) as tx:
        if await tx.one(LOCK_LOCATION_FOR_SHEET, {"id": location_id}) is None:
            raise Problem(404, "No such location.")
        await require_active(tx, [("item", item_id, f"$.items[{n}]") for n, item_id in enumerate(body.items)])
        removed = await tx.exec(DELETE_SHEET, {"location_id": location_id})
        await tx.exec(CREATE_SHEET_ITEMS, {"location_id": location_id, "item_ids": body.items})
        details = {"before": {"items": removed}, "after": {"items": len(body.items)}, "item_ids": body.items}
        await audit.record(tx, request, "location.sheet", "location", location_id, details)
        sheet = await _read(tx, location_id)
    return json_response(sheet)
