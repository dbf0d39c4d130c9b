"""Items and locations: list, get, create, PATCH (If-Match), and DELETE for items without history."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from neuropilot import audit, idempotency
from neuropilot.db import request_transaction
from neuropilot.errors import Problem
from neuropilot.models import Item, ItemCreate, ItemUpdate, Location, LocationCreate, LocationUpdate
from neuropilot.queries import query
from neuropilot.responses import json_response, resource_etag, resource_response
from neuropilot.validation import bool_param, check_if_match, decode_cursor, limit_param, page, path_id, read_json

LIST_ITEMS_BY_CATEGORY = query("ListItemsByCategory")
LIST_ITEMS = query("ListItems")
GET_ITEM = query("GetItem")
LOCK_ITEM = query("LockItem")
CREATE_ITEM = query("CreateItem")
UPDATE_ITEM = query("UpdateItem")
DELETE_ITEM = query("DeleteItem")
LIST_LOCATIONS = query("ListLocations")
GET_LOCATION = query("GetLocation")
LOCK_LOCATION = query("LockLocation")
CREATE_LOCATION = query("CreateLocation")
UPDATE_LOCATION = query("UpdateLocation")


def changes(body: msgspec.Struct) -> dict[str, Any]:
    """The fields a PATCH body sets (null included), without the ones it leaves out."""
    return {f: v for f in body.__struct_fields__ if (v := getattr(body, f)) is not msgspec.UNSET}


def _after(cursor: list[Any] | None) -> str:
    return str(cursor[0]) if cursor else ""


async def list_items(request: Request) -> Response:
    """GET /v1/items?category=&q=&active=: by item_number, a keyset page at a time."""
    limit, cursor = limit_param(request), decode_cursor(request, 1)
    category, q = request.query_params.get("category"), request.query_params.get("q")
    active = bool_param(request, "active")
    async with request_transaction(request) as tx:
        if category is not None and q is None and active is None:
            params = {"category": category, "after": _after(cursor), "limit": limit + 1}
            rows = await tx.many(LIST_ITEMS_BY_CATEGORY, params)
        else:
            params = {
                "category": category,
                "q": q or None,
                "active": active,
                "after": _after(cursor),
                "limit": limit + 1,
            }
            rows = await tx.many(LIST_ITEMS, params)
    items, next_cursor = page(msgspec.convert(rows, list[Item]), limit, lambda i: [i.item_number])
    return json_response({"data": items, "next_cursor": next_cursor})


async def get_item(request: Request) -> Response:
    async with request_transaction(request) as tx:
        row = await tx.one(GET_ITEM, {"id": path_id(request, "item")})
    if row is None:
        raise Problem(404, "No such item.")
    return resource_response(msgspec.convert(row, Item))


async def create_item(request: Request) -> Response:
    body = await read_json(request, ItemCreate)
    fields = msgspec.structs.asdict(body)
    async with request_transaction(request) as tx:
        await idempotency.begin(tx, request)
        item = msgspec.convert(await tx.one(CREATE_ITEM, fields), Item)
        await audit.record(tx, request, "item.create", "item", item.id, fields)
        return await idempotency.created(tx, request, item, f"/v1/items/{item.id}")


async def update_item(request: Request) -> Response:
    body = await read_json(request, ItemUpdate)
    item_id, new = path_id(request, "item"), changes(body)
    async with request_transaction(request) as tx:
        current = await tx.one(LOCK_ITEM, {"id": item_id})
        if current is None:
            raise Problem(404, "No such item.")
        check_if_match(request, resource_etag(msgspec.convert(current, Item)))
        row = await tx.one(UPDATE_ITEM, current | new)
        await audit.record(tx, request, "item.update", "item", item_id, _before_after(current, new))
    return resource_response(msgspec.convert(row, Item))


async def delete_item(request: Request) -> Response:
    """DELETE /v1/items/{id}: only an item nothing refers to; history makes it a 409 (deactivate it)."""
    item_id = path_id(request, "item")
    async with request_transaction(request) as tx:
        current = await tx.one(LOCK_ITEM, {"id": item_id})
        if current is None:
            raise Problem(404, "No such item.")
        check_if_match(request, resource_etag(msgspec.convert(current, Item)))
        await tx.exec(DELETE_ITEM, {"id": item_id})
        await audit.record(tx, request, "item.delete", "item", item_id, {"item_number": current["item_number"]})
    return Response(status_code=204)


def _before_after(current: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    changed = {k: v for k, v in new.items() if str(current[k]) != str(v)}
    return {"before": {k: current[k] for k in changed}, "after": changed}


async def list_locations(request: Request) -> Response:
    limit, cursor, active = limit_param(request), decode_cursor(request, 1), bool_param(request, "active")
    async with request_transaction(request) as tx:
        rows = await tx.many(LIST_LOCATIONS, {"after": _after(cursor), "active": active, "limit": limit + 1})
    locations, next_cursor = page(msgspec.convert(rows, list[Location]), limit, lambda loc: [loc.code])
    return json_response({"data": locations, "next_cursor": next_cursor})


async def get_location(request: Request) -> Response:
    async with request_transaction(request) as tx:
        row = await tx.one(GET_LOCATION, {"id": path_id(request, "location")})
    if row is None:
        raise Problem(404, "No such location.")
    return resource_response(msgspec.convert(row, Location))


async def create_location(request: Request) -> Response:
    body = await read_json(request, LocationCreate)
    fields = msgspec.structs.asdict(body)
    async with request_transaction(request) as tx:
        await idempotency.begin(tx, request)
        location = msgspec.convert(await tx.one(CREATE_LOCATION, fields), Location)
        await audit.record(tx, request, "location.create", "location", location.id, fields)
        return await idempotency.created(tx, request, location, f"/v1/locations/{location.id}")


async def update_location(request: Request) -> Response:
    body = await read_json(request, LocationUpdate)
    location_id, new = path_id(request, "location"), changes(body)
    async with request_transaction(request) as tx:
        current = await tx.one(LOCK_LOCATION, {"id": location_id})
        if current is None:
            raise Problem(404, "No such location.")
        check_if_match(request, resource_etag(msgspec.convert(current, Location)))
        row = await tx.one(UPDATE_LOCATION, current | new)
        await audit.record(tx, request, "location.update", "location", location_id, _before_after(current, new))
    return resource_response(msgspec.convert(row, Location))
