"""POST /v1/suppliers/{id}/items/import: a supplier's price list, upserted by (item_number, pack),
all or nothing. A pack the item lacks is created (pack_qty says its size); a row that is preferred
un-prefers the item's other supplier items; a new or changed price grows the price history (the
trigger of sql/schema/0013). The file is checked whole first, then against the database, and any
problem refuses it all (reader.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from neuropilot import audit, idempotency
from neuropilot.db import Tx, request_transaction
from neuropilot.errors import Problem
from neuropilot.queries import query
from neuropilot.responses import json_response
from neuropilot.spreadsheets import reader
from neuropilot.spreadsheets.models import ImportedSupplierItem, SupplierItemImport
from neuropilot.spreadsheets.reader import Problems, Record
from neuropilot.validation import bool_param, path_id

LOCK_SUPPLIER = query("LockSupplierForImport")
LOCK_ITEMS = query("LockItemsForPriceList")
FIND_PACKS = query("FindPacksByName")
LOCK_SUPPLIER_ITEMS = query("LockSupplierItemsOfItems")
CREATE_PACKS = query("CreatePacks")
UNPREFER = query("UnpreferForPriceList")
UPSERT = query("UpsertSupplierItems")

COLUMNS = ("item_number", "pack_name", "pack_qty", "sku", "price", "preferred")
KEPT = ("sku", "price", "preferred")  # what a supplier item row holds that the file may set
PARSERS: dict[str, reader.Parser] = {
    "pack_qty": lambda r, c, p: reader.decimal(r, c, p, digits=11, scale=3, positive=True),
    "sku": lambda r, c, p: reader.text(r, c, p, max_length=100, one_line=True),
    "price": lambda r, c, p: reader.decimal(r, c, p, digits=10, scale=4),
    "preferred": reader.boolean,
}


@dataclass
class Row:
    record: Record
    number: str
    pack_name: str | None  # None: by the stock unit
    fields: dict[str, Any]
    item_id: uuid.UUID | None = None
    pack_id: uuid.UUID | None = None
    new_pack: bool = False
    current: dict[str, Any] | None = None
    values: dict[str, Any] = field(default_factory=dict)
    action: str = "unchanged"

    @property
    def line(self) -> int:
        return self.record.line


def _row(record: Record, problems: Problems) -> Row | None:
    number = reader.required_text(record, "item_number", problems, max_length=50)
    pack = (
        reader.text(record, "pack_name", problems, max_length=30, one_line=True) if "pack_name" in record.cells else ""
    )
    fields = reader.given(record, PARSERS, ("sku",), problems)
    if not pack and fields.get("pack_qty") is not None:
        problems.add(record.line, "pack_qty", "a pack_qty needs the pack_name it is the size of")
    return None if number is None or pack is None else Row(record, number, pack or None, fields)


def parse(records: list[Record], problems: Problems) -> list[Row]:
    """The rows of the file; the same (item, pack) twice, or two preferred rows of one item, refused."""
    rows: list[Row] = []
    seen: dict[tuple[str, str | None], int] = {}
    preferred: dict[str, int] = {}
    for record in records:
        if (row := _row(record, problems)) is None:
            continue
        key = (row.number, row.pack_name.lower() if row.pack_name else None)
        if key in seen:
            what = f"{row.number} in the pack {row.pack_name!r}" if row.pack_name else f"{row.number} by its unit"
            problems.add(row.line, "item_number", f"{what} is also on line {seen[key]}: one row per item and pack")
            continue
        seen[key] = row.line
        if row.fields.get("preferred") is True:
            if row.number in preferred:
                message = f"{row.number} is preferred on line {preferred[row.number]} too: one per item"
                problems.add(row.line, "preferred", message)
            preferred.setdefault(row.number, row.line)
        rows.append(row)
    return rows


async def _items(tx: Tx, rows: list[Row], problems: Problems) -> None:
    found = {r["item_number"]: r for r in await tx.many(LOCK_ITEMS, {"numbers": [row.number for row in rows]})}
    for row in rows:
        item = found.get(row.number)
        if item is None:
            problems.add(row.line, "item_number", f"no item {row.number}: import it with POST /v1/items/import first")
        elif not item["active"]:
            problems.add(row.line, "item_number", f"{row.number} is inactive")
        else:
            row.item_id = item["id"]


async def _packs(tx: Tx, rows: list[Row], problems: Problems) -> None:
    named = [row for row in rows if row.item_id is not None and row.pack_name is not None]
    params = {"item_ids": [row.item_id for row in named], "names": [row.pack_name for row in named]}
    found = {r["n"]: r for r in await tx.many(FIND_PACKS, params)}
    for n, row in enumerate(named, start=1):
        pack, qty = found.get(n), row.fields.get("pack_qty")
        if pack is None:
            row.new_pack = True
            if qty is None:
                problems.add(row.line, "pack_qty", f"required to create the pack {row.pack_name!r} of {row.number}")
        elif not pack["active"]:
            problems.add(row.line, "pack_name", f"the pack {pack['name']!r} of {row.number} is inactive")
        elif qty is not None and qty != pack["qty"]:
            message = f"the pack {pack['name']!r} of {row.number} holds {pack['qty']}: change the pack itself"
            problems.add(row.line, "pack_qty", message + " (PATCH /v1/items/{id}/packs/{pack_id})")
        else:
            row.pack_id = pack["id"]


async def _merge(tx: Tx, supplier_id: uuid.UUID, rows: list[Row], problems: Problems) -> None:
    """Each row's values after the import and its action; a row made preferred un-prefers the item's
    other rows of the file that would stay preferred."""
    item_ids = list({row.item_id for row in rows if row.item_id is not None})
    params = {"supplier_id": supplier_id, "item_ids": item_ids}
    existing = {(r["item_id"], r["pack_id"]): r for r in await tx.many(LOCK_SUPPLIER_ITEMS, params)}
    for row in rows:
        row.current = None if row.new_pack else existing.get((row.item_id, row.pack_id))
        start = {"sku": None, "preferred": False} if row.current is None else {k: row.current[k] for k in KEPT}
        row.values = start | {k: v for k, v in row.fields.items() if k in KEPT}
        if row.current is None and row.record.cells.get("price", "") == "":  # not when there but invalid
            problems.add(row.line, "price", "required for an item the supplier does not sell yet")
    made_preferred = {row.item_id for row in rows if row.fields.get("preferred") is True}
    for row in rows:
        if row.item_id in made_preferred and row.fields.get("preferred") is not True:
            row.values["preferred"] = False
        if row.current is None:
            row.action = "created"
        elif not row.current["active"] or any(row.values[k] != row.current[k] for k in KEPT):
            row.action = "updated"


async def _create_packs(tx: Tx, rows: list[Row]) -> int:
    new = [row for row in rows if row.new_pack]
    if new:
        params = {"item_ids": [r.item_id for r in new], "names": [r.pack_name for r in new]}
        created = await tx.many(CREATE_PACKS, params | {"qtys": [r.fields["pack_qty"] for r in new]})
        ids = {(p["item_id"], p["name"]): p["id"] for p in created}
        for row in new:
            row.pack_id = ids[(row.item_id, row.pack_name)]
    return len(new)


async def _upsert(tx: Tx, supplier_id: uuid.UUID, rows: list[Row]) -> None:
    """Un-prefer what the file's preferred rows replace, then write the new and changed rows."""
    changing = [row for row in rows if row.action != "unchanged"]
    if not changing:
        return
    if preferred := [row.item_id for row in changing if row.values["preferred"]]:
        keep = [row.current["id"] for row in rows if row.current is not None and row.values["preferred"]]
        await tx.exec(UNPREFER, {"item_ids": preferred, "keep": keep})
    params = {
        "supplier_id": supplier_id,
        "item_ids": [row.item_id for row in changing],
        "pack_ids": [row.pack_id for row in changing],
        "skus": [row.values["sku"] for row in changing],
        "prices": [row.values["price"] for row in changing],
        "preferreds": [row.values["preferred"] for row in changing],
    }
    written = {(r["item_id"], r["pack_id"]): r["created"] for r in await tx.many(UPSERT, params)}
    for row in changing:
        row.action = "created" if written[(row.item_id, row.pack_id)] else "updated"


def _result(rows: list[Row], packs_created: int, dry_run: bool) -> SupplierItemImport:
    imported = [
        ImportedSupplierItem(line=r.line, item_number=r.number, pack_name=r.pack_name, action=r.action)  # type: ignore[arg-type]
        for r in rows
    ]
    count = {a: sum(1 for i in imported if i.action == a) for a in ("created", "updated", "unchanged")}
    return SupplierItemImport(**count, packs_created=packs_created, dry_run=dry_run, rows=imported)


async def import_supplier_items(request: Request) -> Response:
    """POST /v1/suppliers/{id}/items/import (text/csv): the supplier's price list, upserted by item_number
    and pack, all or nothing. Columns, in any order: item_number (required), pack_name (empty: by the
    stock unit; a pack the item lacks is created, with pack_qty its size), pack_qty, sku, price,
    preferred. Any invalid row: a 422 listing every problem, and nothing changes. `?dry_run=true`
    writes nothing and says what the import would do."""
    supplier_id, dry_run = path_id(request, "supplier"), bool_param(request, "dry_run") is True
    sheet = await reader.read_sheet(request, COLUMNS, ("item_number",))
    problems = Problems()
    rows = parse(sheet.records, problems)
    async with request_transaction(request) as tx:
        if not dry_run:
            await idempotency.begin(tx, request)
        if await tx.one(LOCK_SUPPLIER, {"id": supplier_id}) is None:
            raise Problem(404, "No such supplier.")
        await _items(tx, rows, problems)
        await _packs(tx, rows, problems)
        await _merge(tx, supplier_id, rows, problems)
        problems.check()
        if dry_run:
            return json_response(_result(rows, sum(1 for row in rows if row.new_pack), dry_run=True))
        packs_created = await _create_packs(tx, rows)
        await _upsert(tx, supplier_id, rows)
        result = _result(rows, packs_created, dry_run=False)
        counts = msgspec.structs.asdict(result) | {"rows": len(result.rows)}
        await audit.record(tx, request, "supplier_item.import", "supplier", supplier_id, counts)
        return await idempotency.respond(tx, request, result, 200)
