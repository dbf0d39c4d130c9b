"""Packs (CONTRACT §11): the cases and bags an item is bought and counted in, and the breakdown of
a count entered in packs.

The breakdown helpers are the one place a count in packs becomes stock units; POST /v1/counts, the
batch and count-session lines all go through them:

- `check_one_of(qty_on_hand, breakdown, prefix)`: exactly one of the two (else 422);
- `resolve_breakdown(tx, item_id, parts, path)` → (total in stock units, the parts to store);
- `resolve_breakdowns(tx, [(item_id, parts, path), …])`: the same for many counts, one query;
- `counted_qty(tx, item_id, qty_on_hand, breakdown, prefix)`: both steps, for one count body.

Paths name the breakdown's field, e.g. "$.breakdown" or "$.counts[3].breakdown"; a bad part is
reported as f"{path}[{i}].pack_id". Nothing is written by any of them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal, localcontext
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from neuropilot import audit, idempotency
from neuropilot.db import Tx, request_transaction
from neuropilot.errors import Problem
from neuropilot.listing import NEWEST_FIRST, keyset_list, newest_first
from neuropilot.models import BreakdownPart
from neuropilot.pack_models import Pack, PackCreate, PackUpdate
from neuropilot.queries import query
from neuropilot.responses import resource_etag, resource_response
from neuropilot.validation import check_if_match, invalid, path_id, read_json

FIND_PACKS = query("FindPacks")
LIST_ITEM_PACKS = query("ListItemPacks")
LIST_ITEM_PACK_SUMMARIES = query("ListItemPackSummaries")
GET_ITEM_PACK = query("GetItemPack")
LOCK_ITEM_PACK = query("LockItemPack")
CREATE_ITEM_PACK = query("CreateItemPack")
UPDATE_ITEM_PACK = query("UpdateItemPack")
ITEM_EXISTS = query("ItemExists")

STOCK_UNIT = Decimal(1)
SCALE = Decimal("0.001")  # inventory_count.qty_on_hand is numeric(14,3)
MAX_QTY = Decimal(10) ** 11
StoredParts = list[dict[str, Any]]


# --- breakdowns: a count in packs → stock units ---


def check_one_of(qty_on_hand: str | None, breakdown: Sequence[BreakdownPart] | None, prefix: str) -> None:
    """422 unless exactly one of qty_on_hand and breakdown is given (prefix: "$", "$.counts[3]")."""
    if qty_on_hand is not None and breakdown is not None:
        raise invalid(f"{prefix}.breakdown", "give qty_on_hand or breakdown, not both")
    if qty_on_hand is None and breakdown is None:
        raise invalid(f"{prefix}.qty_on_hand", "required (or breakdown, a count in packs)")


def _pack_size(pack_id: uuid.UUID | None, item_id: uuid.UUID, packs: dict[uuid.UUID, Any], path: str) -> Decimal:
    if pack_id is None:
        return STOCK_UNIT
    pack = packs.get(pack_id)
    if pack is None or pack["item_id"] != item_id:
        raise invalid(path, "not a pack of this item")
    if not pack["active"]:
        raise invalid(path, "this pack is inactive")
    size: Decimal = pack["qty"]
    return size


def _total(item_id: uuid.UUID, parts: Sequence[BreakdownPart], path: str, packs: dict[uuid.UUID, Any]) -> Any:
    """Σ qty * pack qty, exactly: parts (scale 3) times pack sizes (scale 3) are exact at scale 6,
    and the total must be a whole number of 0.001 stock units to be stored without rounding."""
    seen: set[uuid.UUID | None] = set()
    total, stored = Decimal(0), []
    with localcontext() as exact:
        exact.prec = 60  # 14 + 14 digits per product, summed: far from any rounding
        for n, part in enumerate(parts):
            if part.pack_id in seen:
                raise invalid(f"{path}[{n}].pack_id", "named twice in this breakdown")
            seen.add(part.pack_id)
            size = _pack_size(part.pack_id, item_id, packs, f"{path}[{n}].pack_id")
            total += Decimal(part.qty) * size
            stored.append({"pack_id": part.pack_id, "qty": part.qty, "pack_qty": str(size)})
        if total != total.quantize(SCALE):
            raise invalid(path, f"the total, {total:f} stock units, is not a whole number of 0.001 stock units")
        if total >= MAX_QTY:
            raise invalid(path, f"the total, {total:f} stock units, is more than a count can hold")
        return total.quantize(SCALE), stored


async def resolve_breakdowns(
    tx: Tx, entries: Sequence[tuple[uuid.UUID, Sequence[BreakdownPart], str]]
) -> list[tuple[Decimal, StoredParts]]:
    """For each (item_id, parts, path): the stock-unit total and the parts to store
    ([{pack_id, qty, pack_qty}], pack_qty the pack's size now), or a 422 naming the first bad part."""
    ids = list({part.pack_id for _, parts, _ in entries for part in parts if part.pack_id is not None})
    packs = {row["id"]: row for row in await tx.many(FIND_PACKS, {"ids": ids})} if ids else {}
    return [_total(item_id, parts, path, packs) for item_id, parts, path in entries]


async def resolve_breakdown(
    tx: Tx, item_id: uuid.UUID, parts: Sequence[BreakdownPart], path: str
) -> tuple[Decimal, StoredParts]:
    """One count's breakdown (see resolve_breakdowns)."""
    ((total, stored),) = await resolve_breakdowns(tx, [(item_id, parts, path)])
    return total, stored


async def counted_qty(
    tx: Tx, item_id: uuid.UUID, qty_on_hand: str | None, breakdown: Sequence[BreakdownPart] | None, prefix: str
) -> tuple[Decimal, StoredParts | None]:
    """A count body's stock-unit quantity and stored breakdown (None when given in stock units)."""
    check_one_of(qty_on_hand, breakdown, prefix)
    if breakdown is None:
        assert qty_on_hand is not None
        return Decimal(qty_on_hand), None
    return await resolve_breakdown(tx, item_id, breakdown, f"{prefix}.breakdown")


def parts_param(stored: StoredParts | None) -> str | None:
    """A stored breakdown as JSON text, for a jsonb parameter (UUIDs as text)."""
    return msgspec.json.encode(stored).decode() if stored is not None else None


# --- GET/POST /v1/items/{id}/packs, GET/PATCH /v1/items/{id}/packs/{pack_id} ---


def _pack_id(request: Request) -> uuid.UUID:
    try:
        return uuid.UUID(request.path_params["pack_id"])
    except ValueError:
        raise Problem(404, "No such pack.") from None


async def _require_item(tx: Tx, item_id: uuid.UUID) -> None:
    found = await tx.one(ITEM_EXISTS, {"id": item_id})
    if found is None or not found["found"]:
        raise Problem(404, "No such item.")


async def item_packs(tx: Tx, item_id: uuid.UUID) -> list[dict[str, Any]]:
    """The packs of an item as GET /v1/items/{id} includes them (rows of PackSummary)."""
    return await tx.many(LIST_ITEM_PACK_SUMMARIES, {"item_id": item_id})


async def list_packs(request: Request) -> Response:
    """GET /v1/items/{id}/packs: the item's packs, inactive ones included, newest first."""
    item_id = path_id(request, "item")

    async def item_exists(tx: Tx) -> None:
        await _require_item(tx, item_id)

    filters = {"item_id": item_id}
    return await keyset_list(request, LIST_ITEM_PACKS, Pack, filters, NEWEST_FIRST, newest_first, setup=item_exists)


async def get_pack(request: Request) -> Response:
    """GET /v1/items/{id}/packs/{pack_id}: one pack, with the ETag a PATCH's If-Match compares to."""
    item_id, pack_id = path_id(request, "item"), _pack_id(request)
    async with request_transaction(request) as tx:
        row = await tx.one(GET_ITEM_PACK, {"id": pack_id, "item_id": item_id})
    if row is None:
        raise Problem(404, "No such pack of this item.")
    return resource_response(msgspec.convert(row, Pack))


async def create_pack(request: Request) -> Response:
    """POST /v1/items/{id}/packs: a new pack; its name is unique per item, whatever the case (409)."""
    item_id, body = path_id(request, "item"), await read_json(request, PackCreate)
    async with request_transaction(request) as tx:
        await idempotency.begin(tx, request)
        row = await tx.one(CREATE_ITEM_PACK, {"item_id": item_id, "name": body.name, "qty": body.qty})
        if row is None:
            await _require_item(tx, item_id)
            raise Problem(409, f"This item already has a pack named {body.name!r}.")
        pack = msgspec.convert(row, Pack)
        details = {"item_id": item_id, "name": body.name, "qty": body.qty}
        await audit.record(tx, request, "item_pack.create", "item_pack", pack.id, details)
        return await idempotency.created(tx, request, pack, f"/v1/items/{item_id}/packs/{pack.id}")


async def update_pack(request: Request) -> Response:
    """PATCH /v1/items/{id}/packs/{pack_id}: name, qty, active (If-Match honoured). Counts already
    stored keep the pack size they were counted with (their breakdown's pack_qty)."""
    item_id, pack_id = path_id(request, "item"), _pack_id(request)
    body = await read_json(request, PackUpdate)
    new = {f: v for f in body.__struct_fields__ if (v := getattr(body, f)) is not msgspec.UNSET}
    async with request_transaction(request) as tx:
        current = await tx.one(LOCK_ITEM_PACK, {"id": pack_id, "item_id": item_id})
        if current is None:
            raise Problem(404, "No such pack of this item.")
        check_if_match(request, resource_etag(msgspec.convert(current, Pack)))
        row = await tx.one(UPDATE_ITEM_PACK, current | new)
        changed = {k: v for k, v in new.items() if str(current[k]) != str(v)}
        details = {"item_id": item_id, "before": {k: current[k] for k in changed}, "after": changed}
        await audit.record(tx, request, "item_pack.update", "item_pack", pack_id, details)
    return resource_response(msgspec.convert(row, Pack))
