"""The stock ledger: counts (one or a batch of up to 500, all or nothing), movements and
transfers, and their lists. Stock on hand follows from these rows (see stock.py)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from neuropilot import audit, coldchain, idempotency, packs
from neuropilot.db import Tx, identity_of, request_statement, request_transaction
from neuropilot.listing import NEWEST_FIRST, keyset_list, newest_first
from neuropilot.models import (
    Count,
    CountBatch,
    CountCreate,
    CountedPart,
    Movement,
    MovementCreate,
    Transfer,
    TransferCreate,
)
from neuropilot.queries import query
from neuropilot.responses import resource_response
from neuropilot.validation import in_utc, invalid, read_json, time_param, uuid_param

FIND_INACTIVE_OR_MISSING = query("FindInactiveOrMissing")
CREATE_COUNTS = query("CreateCounts")
CREATE_COUNT_AS = query("CreateCountAs")
LIST_COUNTS = query("ListCounts")
CREATE_MOVEMENTS = query("CreateMovements")
LIST_MOVEMENTS = query("ListMovements")
CLOCK_SKEW = timedelta(minutes=5)


async def require_active(tx: Tx, refs: list[tuple[str, Any, str]]) -> None:
    """422 naming the first field whose item or location is unknown or inactive.

    refs: (kind, id, JSON path) with kind 'item' or 'location'."""
    params = {
        "item_ids": [ref_id for kind, ref_id, _ in refs if kind == "item"],
        "location_ids": [ref_id for kind, ref_id, _ in refs if kind == "location"],
    }
    bad = {(row["kind"], row["id"]) for row in await tx.many(FIND_INACTIVE_OR_MISSING, params)}
    for kind, ref_id, path in refs:
        if (kind, ref_id) in bad:
            raise invalid(path, f"no active {kind} with this id")


def _check_counted_at(counts: list[CountCreate], prefix: str) -> None:
    """counted_at in UTC (see in_utc) and not in the future."""
    latest = datetime.now(UTC) + CLOCK_SKEW
    for n, count in enumerate(counts):
        if count.counted_at is None:
            continue
        count.counted_at = in_utc(count.counted_at, prefix.format(n) + ".counted_at")
        if count.counted_at > latest:
            raise invalid(prefix.format(n) + ".counted_at", "in the future")


async def _quantities(tx: Tx, counts: list[CountCreate], prefix: str) -> list[tuple[Any, str | None]]:
    """Each count's stock-unit qty and stored breakdown (JSON text or None); packs.py resolves breakdowns."""
    for n, c in enumerate(counts):
        packs.check_one_of(c.qty_on_hand, c.breakdown, prefix.format(n))
    entries = [(c.item_id, c.breakdown, prefix.format(n) + ".breakdown") for n, c in enumerate(counts) if c.breakdown]
    resolved = iter(await packs.resolve_breakdowns(tx, entries) if entries else [])
    out: list[tuple[Any, str | None]] = []
    for c in counts:
        if c.breakdown is None:
            out.append((c.qty_on_hand, None))
        else:
            total, stored = next(resolved)
            out.append((total, packs.parts_param(stored)))
    return out


async def _insert_counts(tx: Tx, counts: list[CountCreate], prefix: str) -> list[Count]:
    refs = [("item", c.item_id, prefix.format(n) + ".item_id") for n, c in enumerate(counts)]
    refs += [("location", c.location_id, prefix.format(n) + ".location_id") for n, c in enumerate(counts)]
    await require_active(tx, refs)
    quantities = await _quantities(tx, counts, prefix)
    rows = await tx.many(
        CREATE_COUNTS,
        {
            "item_ids": [c.item_id for c in counts],
            "location_ids": [c.location_id for c in counts],
            "qtys": [str(qty) for qty, _ in quantities],  # one type: psycopg refuses a list of str and Decimal
            "counted_ats": [c.counted_at for c in counts],
            "breakdowns": [stored for _, stored in quantities],
        },
    )
    return msgspec.convert(rows, list[Count])


COUNT_AS_COLUMNS = (*Count.__struct_fields__, "refused")


def _created_count(rows: list[tuple[Any, ...]]) -> Count:
    """CreateCountAs's row: the count, or a 422 naming the refused reference (nothing was written)."""
    ((*count, refused),) = rows
    if refused:
        raise invalid(f"$.{refused}_id", f"no active {refused} with this id")
    created = Count(*count)
    if created.breakdown is not None:  # jsonb arrives as dicts
        created.breakdown = msgspec.convert(created.breakdown, list[CountedPart])
    return created


async def create_count(request: Request) -> Response:
    """POST /v1/counts: on-hand of the item at the location, as of counted_at (default now).
    One statement (context, checks, count, audit row: sql/schema/0009, 0011); a count in packs
    (breakdown) or with an Idempotency-Key runs in a request transaction, which resolves the packs
    and remembers the response."""
    body = await read_json(request, CountCreate)
    packs.check_one_of(body.qty_on_hand, body.breakdown, "$")
    _check_counted_at([body], "$")
    params = {
        "item_id": body.item_id,
        "location_id": body.location_id,
        "qty": body.qty_on_hand,
        "counted_at": body.counted_at,
        "breakdown": None,
        "details": audit.details_param(msgspec.structs.asdict(body)),
    } | audit.request_meta(request)
    if body.breakdown is None and not idempotency.requested(request):
        count = _created_count(await request_statement(request, CREATE_COUNT_AS, params, COUNT_AS_COLUMNS))
        return resource_response(count, 201)
    async with request_transaction(request) as tx:
        await idempotency.begin(tx, request)
        if body.breakdown is not None:
            params |= await _in_packs(tx, body)
        created = await tx.tuples(CREATE_COUNT_AS, params | asdict(identity_of(request)), COUNT_AS_COLUMNS)
        return await idempotency.created(tx, request, _created_count(created))


async def _in_packs(tx: Tx, body: CountCreate) -> dict[str, Any]:
    """CreateCountAs's qty, breakdown and audit details for a count in packs; the item is checked
    first, so an unknown item is named as such rather than as a stranger's pack."""
    assert body.breakdown is not None
    await require_active(tx, [("item", body.item_id, "$.item_id")])
    total, stored = await packs.resolve_breakdown(tx, body.item_id, body.breakdown, "$.breakdown")
    details = msgspec.structs.asdict(body) | {"qty_on_hand": total, "breakdown": stored}
    return {"qty": total, "breakdown": packs.parts_param(stored), "details": audit.details_param(details)}


async def create_count_batch(request: Request) -> Response:
    """POST /v1/counts/batch: up to 500 counts in one statement; one bad row refuses them all."""
    body = await read_json(request, CountBatch)
    _check_counted_at(body.counts, "$.counts[{}]")
    async with request_transaction(request) as tx:
        await idempotency.begin(tx, request)
        counts = await _insert_counts(tx, body.counts, "$.counts[{}]")
        await audit.record(
            tx, request, "count.create_batch", "inventory_count", None, {"count_ids": [c.id for c in counts]}
        )
        return await idempotency.created(tx, request, {"data": counts})


async def list_counts(request: Request) -> Response:
    filters = {
        "item_id": uuid_param(request, "item_id"),
        "location_id": uuid_param(request, "location_id"),
        "since": time_param(request, "since"),
    }
    return await keyset_list(request, LIST_COUNTS, Count, filters, NEWEST_FIRST, newest_first)


def _signed(body: MovementCreate) -> str:
    """The stored qty: receive and use take a positive amount (use is stored negated), adjust is signed."""
    qty = Decimal(body.qty)
    if body.type == "adjust":
        if qty == 0:
            raise invalid("$.qty", "an adjustment is not zero")
        return body.qty
    if qty <= 0 or body.qty.startswith("-"):
        raise invalid("$.qty", f"a {body.type} takes a positive amount")
    return body.qty if body.type == "receive" else str(-qty)


async def insert_movements(tx: Tx, rows: list[dict[str, Any]]) -> list[Movement]:
    created = await tx.many(
        CREATE_MOVEMENTS,
        {
            "item_ids": [r["item_id"] for r in rows],
            "location_ids": [r["location_id"] for r in rows],
            "movement_types": [r["type"] for r in rows],
            "qtys": [r["qty"] for r in rows],
            "notes": [r["note"] for r in rows],
            "refs": [r["reference"] for r in rows],
            "reasons": [r.get("reason") for r in rows],
        },
    )
    return msgspec.convert(created, list[Movement])


async def create_movement(request: Request) -> Response:
    """POST /v1/movements: a receipt, a use or an adjustment at one location."""
    body = await read_json(request, MovementCreate)
    if body.type == "waste":
        raise invalid("$.type", "use /v1/waste: waste is posted there, with its reason")
    row = msgspec.structs.asdict(body) | {"qty": _signed(body)}
    async with request_transaction(request) as tx:
        await idempotency.begin(tx, request)
        await require_active(tx, [("item", body.item_id, "$.item_id"), ("location", body.location_id, "$.location_id")])
        if body.type == "receive":
            await coldchain.require_zones(tx, [(body.item_id, body.location_id, "$.location_id")])
        (movement,) = await insert_movements(tx, [row])
        await audit.record(tx, request, f"movement.{body.type}", "movement", movement.id, row)
        return await idempotency.created(tx, request, movement)


async def create_transfer(request: Request) -> Response:
    """POST /v1/transfers: two `transfer` movements, out of the source and into the destination, together."""
    body = await read_json(request, TransferCreate)
    if body.from_location_id == body.to_location_id:
        raise invalid("$.to_location_id", "the destination differs from the source")
    if Decimal(body.qty) == 0:
        raise invalid("$.qty", "a transfer moves a positive amount")
    common = {"item_id": body.item_id, "type": "transfer", "note": body.note, "reference": body.reference}
    rows = [
        common | {"location_id": body.from_location_id, "qty": str(-Decimal(body.qty))},
        common | {"location_id": body.to_location_id, "qty": body.qty},
    ]
    async with request_transaction(request) as tx:
        await idempotency.begin(tx, request)
        await require_active(
            tx,
            [
                ("item", body.item_id, "$.item_id"),
                ("location", body.from_location_id, "$.from_location_id"),
                ("location", body.to_location_id, "$.to_location_id"),
            ],
        )
        await coldchain.require_zones(tx, [(body.item_id, body.to_location_id, "$.to_location_id")])
        out, into = await insert_movements(tx, rows)
        details = msgspec.structs.asdict(body) | {"in_movement_id": into.id}
        await audit.record(tx, request, "transfer.create", "movement", out.id, details)
        return await idempotency.created(tx, request, Transfer(out=out, in_=into))


async def list_movements(request: Request) -> Response:
    kind = request.query_params.get("type")
    if kind is not None and kind not in ("receive", "use", "adjust", "transfer", "waste"):
        raise invalid("type", "receive, use, adjust, transfer or waste")
    filters = {
        "item_id": uuid_param(request, "item_id"),
        "location_id": uuid_param(request, "location_id"),
        "type": kind,
        "since": time_param(request, "since"),
    }
    return await keyset_list(request, LIST_MOVEMENTS, Movement, filters, NEWEST_FIRST, newest_first)
