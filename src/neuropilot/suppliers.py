"""Suppliers and what they sell (CONTRACT §12): admins and managers only, in the routes and in RLS.

A supplier item is an item in one of its packs (or by the stock unit) at a price per pack. Its
price history is kept by the database (a trigger on supplier_item writes supplier_item_price), so
the handlers only ever change supplier_item.price. At most one supplier item per item is preferred:
every change that may make one preferred locks the item row first (`lock_for_preferred`), then
un-prefers the others, so two managers preferring two suppliers at once take turns; the partial
unique index uq_supplier_item_preferred backs the rule up.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from neuropilot import audit, idempotency
from neuropilot.catalog import changes
from neuropilot.db import Tx, request_transaction
from neuropilot.errors import Problem
from neuropilot.ledger import require_active
from neuropilot.listing import keyset_list
from neuropilot.queries import query
from neuropilot.responses import resource_etag, resource_response
from neuropilot.supplier_models import (
    Supplier,
    SupplierCreate,
    SupplierItem,
    SupplierItemCreate,
    SupplierItemPrice,
    SupplierItemUpdate,
    SupplierUpdate,
)
from neuropilot.validation import (
    bool_param,
    check_if_match,
    decode_cursor,
    invalid,
    limit_param,
    path_id,
    read_json,
)

LIST_SUPPLIERS = query("ListSuppliers")
GET_SUPPLIER = query("GetSupplier")
LOCK_SUPPLIER = query("LockSupplier")
CREATE_SUPPLIER = query("CreateSupplier")
UPDATE_SUPPLIER = query("UpdateSupplier")
LIST_SUPPLIER_ITEMS = query("ListSupplierItems")
GET_SUPPLIER_ITEM = query("GetSupplierItem")
FIND_SUPPLIER_ITEM_ITEM = query("FindSupplierItemItem")
LOCK_SUPPLIER_ITEM = query("LockSupplierItem")
LOCK_ITEM_FOR_PREFERRED = query("LockItemForPreferred")
FIND_PACK = query("FindPack")
CREATE_SUPPLIER_ITEM = query("CreateSupplierItem")
UPDATE_SUPPLIER_ITEM = query("UpdateSupplierItem")
UNPREFER_OTHER_SUPPLIER_ITEMS = query("UnpreferOtherSupplierItems")
LIST_SUPPLIER_ITEM_PRICES = query("ListSupplierItemPrices")


# --- suppliers ---


async def list_suppliers(request: Request) -> Response:
    """GET /v1/suppliers?active=&q=: by name (case-insensitively), a keyset page at a time."""
    filters = {"active": bool_param(request, "active"), "q": request.query_params.get("q") or None}
    # The cursor is PostgreSQL's lower(name), which the order follows (Python's lower() differs at the edges).
    return await keyset_list(
        request, LIST_SUPPLIERS, Supplier, filters, ("after",), lambda row: [row["sort_key"]], ("",), raw_key=True
    )


async def _supplier(tx: Tx, supplier_id: Any) -> Supplier:
    row = await tx.one(GET_SUPPLIER, {"id": supplier_id})
    if row is None:
        raise Problem(404, "No such supplier.")
    return msgspec.convert(row, Supplier)


async def get_supplier(request: Request) -> Response:
    async with request_transaction(request) as tx:
        supplier = await _supplier(tx, path_id(request, "supplier"))
    return resource_response(supplier)


def _whole_days(fields: dict[str, Any]) -> dict[str, Any]:
    if "lead_time_days" in fields:
        fields["lead_time_days"] = int(fields["lead_time_days"])
    return fields


async def create_supplier(request: Request) -> Response:
    """POST /v1/suppliers: a name another supplier has, in any case, is a 409."""
    fields = _whole_days(msgspec.structs.asdict(await read_json(request, SupplierCreate)))
    async with request_transaction(request) as tx:
        await idempotency.begin(tx, request)
        created = msgspec.convert(await tx.one(CREATE_SUPPLIER, fields), Supplier)
        await audit.record(tx, request, "supplier.create", "supplier", created.id, fields)
        return await idempotency.created(tx, request, created, f"/v1/suppliers/{created.id}")


def before_after(current: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    changed = {k: v for k, v in new.items() if str(current[k]) != str(v)}
    return {"before": {k: current[k] for k in changed}, "after": changed}


async def update_supplier(request: Request) -> Response:
    """PATCH /v1/suppliers/{id}: with If-Match; deactivating keeps its items and orders."""
    new = _whole_days(changes(await read_json(request, SupplierUpdate)))
    async with request_transaction(request) as tx:
        current = await tx.one(LOCK_SUPPLIER, {"id": path_id(request, "supplier")})
        if current is None:
            raise Problem(404, "No such supplier.")
        check_if_match(request, resource_etag(msgspec.convert(current, Supplier)))
        row = await tx.one(UPDATE_SUPPLIER, current | new)
        await audit.record(tx, request, "supplier.update", "supplier", current["id"], before_after(current, new))
    return resource_response(msgspec.convert(row, Supplier))


# --- supplier items ---


async def lock_for_preferred(tx: Tx, item_id: Any, keep: Any) -> list[Any]:
    """Lock the item, then un-prefer its preferred supplier items other than `keep` (None: all).
    Call before locking or writing the supplier item that becomes preferred. Returns the ids un-preferred."""
    await tx.one(LOCK_ITEM_FOR_PREFERRED, {"item_id": item_id})
    return [row["id"] for row in await tx.many(UNPREFER_OTHER_SUPPLIER_ITEMS, {"item_id": item_id, "id": keep})]


async def _supplier_item(tx: Tx, supplier_item_id: Any) -> SupplierItem:
    row = await tx.one(GET_SUPPLIER_ITEM, {"id": supplier_item_id})
    if row is None:
        raise Problem(404, "No such supplier item.")
    return msgspec.convert(row, SupplierItem)


async def require_pack(tx: Tx, item_id: Any, pack_id: Any, path: str) -> dict[str, Any] | None:
    """The active pack of this item (None for none), or a 422 naming path."""
    if pack_id is None:
        return None
    pack = await tx.one(FIND_PACK, {"item_id": item_id, "pack_id": pack_id})
    if pack is None or not pack["active"]:
        raise invalid(path, "no active pack of this item with this id")
    return pack


async def list_supplier_items(request: Request) -> Response:
    """GET /v1/suppliers/{id}/items?active=: by item number, a keyset page at a time."""
    active = bool_param(request, "active")
    limit_param(request), decode_cursor(request, 2)  # a bad page is a 422 before a bad id is a 404
    supplier_id = path_id(request, "supplier")
    async with request_transaction(request) as tx:
        await _supplier(tx, supplier_id)
    filters = {"supplier_id": supplier_id, "active": active}
    first = ("", "00000000-0000-0000-0000-000000000000")
    return await keyset_list(
        request,
        LIST_SUPPLIER_ITEMS,
        SupplierItem,
        filters,
        ("after_number", "after_id"),
        lambda si: [si.item_number, str(si.id)],
        first,
    )


async def create_supplier_item(request: Request) -> Response:
    """POST /v1/suppliers/{id}/items: the item in one of its packs (or by the stock unit) at a price.
    The same (item, pack) twice for one supplier is a 409; preferred un-prefers the item's other one."""
    body = await read_json(request, SupplierItemCreate)
    async with request_transaction(request) as tx:
        await idempotency.begin(tx, request)
        supplier = await _supplier(tx, path_id(request, "supplier"))
        await require_active(tx, [("item", body.item_id, "$.item_id")])
        await require_pack(tx, body.item_id, body.pack_id, "$.pack_id")
        unpreferred = await lock_for_preferred(tx, body.item_id, None) if body.preferred else []
        fields = msgspec.structs.asdict(body) | {"supplier_id": supplier.id}
        created = await tx.one(CREATE_SUPPLIER_ITEM, fields)
        assert created is not None
        item = await _supplier_item(tx, created["id"])
        details = fields | {"unpreferred": unpreferred}
        await audit.record(tx, request, "supplier_item.create", "supplier_item", item.id, details)
        return await idempotency.created(tx, request, item, f"/v1/supplier-items/{item.id}")


async def get_supplier_item(request: Request) -> Response:
    async with request_transaction(request) as tx:
        item = await _supplier_item(tx, path_id(request, "supplier item"))
    return resource_response(item)


def _new_values(current: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The row after the PATCH: deactivating also un-prefers (an inactive supplier item is never preferred)."""
    after = current | new
    if "price" in new:
        after["price"] = Decimal(new["price"])  # "1.5" is the stored 1.5000: not a change
    if not after["active"] and after["preferred"]:
        if new.get("preferred") is True:
            raise invalid("$.preferred", "an inactive supplier item cannot be preferred")
        after["preferred"] = False
    return after


async def update_supplier_item(request: Request) -> Response:
    """PATCH /v1/supplier-items/{id}: sku, price (the history grows), preferred, active; with If-Match."""
    new = changes(await read_json(request, SupplierItemUpdate))
    supplier_item_id = path_id(request, "supplier item")
    async with request_transaction(request) as tx:
        of = await tx.one(FIND_SUPPLIER_ITEM_ITEM, {"id": supplier_item_id})
        if of is None:
            raise Problem(404, "No such supplier item.")
        becomes_preferred = new.get("preferred") is True
        unpreferred = await lock_for_preferred(tx, of["item_id"], supplier_item_id) if becomes_preferred else []
        current = await tx.one(LOCK_SUPPLIER_ITEM, {"id": supplier_item_id})
        assert current is not None  # supplier items are never deleted
        check_if_match(request, resource_etag(await _supplier_item(tx, supplier_item_id)))
        after = _new_values(current, new)
        await tx.exec(UPDATE_SUPPLIER_ITEM, after)
        details = before_after(current, {k: after[k] for k in ("sku", "price", "preferred", "active")})
        details["unpreferred"] = unpreferred
        await audit.record(tx, request, "supplier_item.update", "supplier_item", supplier_item_id, details)
        item = await _supplier_item(tx, supplier_item_id)
    return resource_response(item)


async def list_supplier_item_prices(request: Request) -> Response:
    """GET /v1/supplier-items/{id}/prices: every price it has had, newest first (the first included)."""
    supplier_item_id = path_id(request, "supplier item")

    async def known(tx: Tx) -> None:
        await _supplier_item(tx, supplier_item_id)

    return await keyset_list(
        request,
        LIST_SUPPLIER_ITEM_PRICES,
        SupplierItemPrice,
        {"supplier_item_id": supplier_item_id},
        ("before_at", "before_id"),
        lambda row: [row["valid_from"].isoformat(), row["id"]],
        setup=known,
        cursor=_price_cursor,
        raw_key=True,
    )


def _price_cursor(values: list[Any]) -> list[Any]:
    if not (isinstance(values[0], str) and isinstance(values[1], int) and not isinstance(values[1], bool)):
        raise invalid("cursor", "not a cursor this API returned")
    return values
