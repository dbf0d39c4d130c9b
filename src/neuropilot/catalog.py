"""Items and locations: list, get, create, PATCH (If-Match), and DELETE for items without history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from neuropilot import audit, idempotency, packs
from neuropilot.db import Tx, request_transaction
from neuropilot.errors import Problem
from neuropilot.listing import keyset_list
from neuropilot.models import Item, ItemCreate, ItemUpdate, Location, LocationCreate, LocationUpdate
from neuropilot.pack_models import ItemWithPacks
from neuropilot.queries import Query, query
from neuropilot.responses import json_response, resource_etag, resource_response
from neuropilot.validation import bool_param, check_if_match, path_id, read_json

LIST_ITEMS_BY_CATEGORY = query("ListItemsByCategoryAs")
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


async def list_items(request: Request) -> Response:
    """GET /v1/items?category=&q=&active=: by item_number, a keyset page at a time."""
    category, q = request.query_params.get("category"), request.query_params.get("q")
    active = bool_param(request, "active")
    if category is not None and q is None and active is None:  # the hot path: one statement (sql/schema/0009)
        return await keyset_list(
            request,
            LIST_ITEMS_BY_CATEGORY,
            Item,
            {"category": category},
            ("after",),
            _number,
            ("",),
            one_statement=True,
        )
    filters = {"category": category, "q": q or None, "active": active}
    return await keyset_list(request, LIST_ITEMS, Item, filters, ("after",), _number, ("",))


def _number(item: Item) -> list[Any]:
    return [item.item_number]


@dataclass(frozen=True)
class Resource:
    """What differs between items and locations; the handlers below are the same for both."""

    entity: str
    path: str
    kind: type[Any]
    get: Query
    lock: Query
    create: Query
    update: Query


ITEM = Resource("item", "/v1/items", Item, GET_ITEM, LOCK_ITEM, CREATE_ITEM, UPDATE_ITEM)
LOCATION = Resource(
    "location", "/v1/locations", Location, GET_LOCATION, LOCK_LOCATION, CREATE_LOCATION, UPDATE_LOCATION
)


async def _get(request: Request, res: Resource) -> Response:
    async with request_transaction(request) as tx:
        row = await tx.one(res.get, {"id": path_id(request, res.entity)})
    if row is None:
        raise Problem(404, f"No such {res.entity}.")
    return resource_response(msgspec.convert(row, res.kind))


async def _create(request: Request, res: Resource, body_type: type[msgspec.Struct]) -> Response:
    fields = msgspec.structs.asdict(await read_json(request, body_type))
    async with request_transaction(request) as tx:
        await idempotency.begin(tx, request)
        created = msgspec.convert(await tx.one(res.create, fields), res.kind)
        await audit.record(tx, request, f"{res.entity}.create", res.entity, created.id, fields)
        return await idempotency.created(tx, request, created, f"{res.path}/{created.id}")


async def _lock(tx: Tx, request: Request, res: Resource) -> dict[str, Any]:
    """The row, locked, after If-Match was checked against it."""
    current = await tx.one(res.lock, {"id": path_id(request, res.entity)})
    if current is None:
        raise Problem(404, f"No such {res.entity}.")
    check_if_match(request, resource_etag(msgspec.convert(current, res.kind)))
    return current


async def _update(request: Request, res: Resource, body_type: type[msgspec.Struct]) -> Response:
    new = changes(await read_json(request, body_type))
    async with request_transaction(request) as tx:
        current = await _lock(tx, request, res)
        row = await tx.one(res.update, current | new)
        await audit.record(tx, request, f"{res.entity}.update", res.entity, current["id"], _before_after(current, new))
    return resource_response(msgspec.convert(row, res.kind))


def _before_after(current: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    changed = {k: v for k, v in new.items() if str(current[k]) != str(v)}
    return {"before": {k: current[k] for k in changed}, "after": changed}


async def get_item(request: Request) -> Response:
    """GET /v1/items/{id}: the item with its packs; the ETag is the item's (what PATCH compares)."""
    async with request_transaction(request) as tx:
        row = await tx.one(GET_ITEM, {"id": path_id(request, "item")})
        if row is None:
            raise Problem(404, "No such item.")
        detail = msgspec.convert(row | {"packs": await packs.item_packs(tx, row["id"])}, ItemWithPacks)
    return json_response(detail, headers={"ETag": resource_etag(msgspec.convert(row, Item))})


async def create_item(request: Request) -> Response:
    return await _create(request, ITEM, ItemCreate)


async def update_item(request: Request) -> Response:
    return await _update(request, ITEM, ItemUpdate)


async def delete_item(request: Request) -> Response:
    """DELETE /v1/items/{id}: only an item nothing refers to; history makes it a 409 (deactivate it)."""
    async with request_transaction(request) as tx:
        current = await _lock(tx, request, ITEM)
        await tx.exec(DELETE_ITEM, {"id": current["id"]})
        await audit.record(tx, request, "item.delete", "item", current["id"], {"item_number": current["item_number"]})
    return Response(status_code=204)


async def list_locations(request: Request) -> Response:
    filters = {"active": bool_param(request, "active")}
    return await keyset_list(request, LIST_LOCATIONS, Location, filters, ("after",), lambda loc: [loc.code], ("",))


async def get_location(request: Request) -> Response:
    return await _get(request, LOCATION)


async def create_location(request: Request) -> Response:
    return await _create(request, LOCATION, LocationCreate)


async def update_location(request: Request) -> Response:
    return await _update(request, LOCATION, LocationUpdate)
