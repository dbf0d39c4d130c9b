"""POST /v1/items/import: items from a spreadsheet, upserted by item_number, all or nothing.

The file is read and checked whole before the database is touched; then one transaction locks the
items it names, merges each row over what is there (a column the file leaves out keeps its value,
or a new item's default), refuses the whole file if any row is invalid, and writes the new and
changed rows as one statement (sql/queries/imports.sql). ?dry_run=true answers the same without
writing anything.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from neuropilot import audit, idempotency
from neuropilot.db import Tx, request_transaction
from neuropilot.queries import query
from neuropilot.responses import json_response
from neuropilot.spreadsheets import reader
from neuropilot.spreadsheets.models import ImportedItem, ItemImport
from neuropilot.spreadsheets.reader import Problems, Record
from neuropilot.validation import bool_param

LOCK_ITEMS_BY_NUMBER = query("LockItemsByNumber")
UPSERT_ITEMS = query("UpsertItems")

COLUMNS = ("item_number", "name", "unit", "category", "min_qty", "max_qty", "unit_cost", "storage_zone", "active")
FIELDS = COLUMNS[1:]
NULLABLE = ("category", "unit_cost", "storage_zone")  # an empty cell sets null; elsewhere it keeps the value
DEFAULTS: dict[str, Any] = {
    "category": None,
    "min_qty": Decimal("0.000"),
    "max_qty": Decimal("0.000"),
    "unit_cost": None,
    "storage_zone": None,
    "active": True,
}
ZONES = ("dry", "cooler", "freezer")
PARSERS: dict[str, reader.Parser] = {
    "name": lambda r, c, p: reader.text(r, c, p, max_length=200),
    "unit": lambda r, c, p: reader.text(r, c, p, max_length=20),
    "category": lambda r, c, p: reader.text(r, c, p, max_length=100),
    "min_qty": lambda r, c, p: reader.decimal(r, c, p, digits=9, scale=3),
    "max_qty": lambda r, c, p: reader.decimal(r, c, p, digits=9, scale=3),
    "unit_cost": lambda r, c, p: reader.decimal(r, c, p, digits=10, scale=4),
    "storage_zone": lambda r, c, p: reader.choice(r, c, p, ZONES),
    "active": reader.boolean,
}


def _parse(records: list[Record], problems: Problems) -> list[tuple[Record, str, dict[str, Any]]]:
    """Each valid row's item_number and fields; a number on two rows is a problem of the second."""
    parsed: list[tuple[Record, str, dict[str, Any]]] = []
    first_line: dict[str, int] = {}
    for record in records:
        number = reader.required_text(record, "item_number", problems, max_length=50)
        fields = reader.given(record, PARSERS, NULLABLE, problems)
        if number is None:
            continue
        if number in first_line:
            problems.add(record.line, "item_number", f"{number} is also on line {first_line[number]}: one row per item")
            continue
        first_line[number] = record.line
        parsed.append((record, number, fields))
    return parsed


def merge(
    parsed: list[tuple[Record, str, dict[str, Any]]], existing: dict[str, dict[str, Any]], problems: Problems
) -> list[tuple[Record, str, dict[str, Any], str]]:
    """(record, number, the item's values after the import, action) for each row."""
    merged = []
    for record, number, fields in parsed:
        current = existing.get(number)
        if current is None:
            for required in ("name", "unit"):
                if record.cells.get(required, "") == "":  # not when the cell was there but invalid
                    problems.add(record.line, required, f"required for a new item ({number} is not in the catalog)")
            merged.append((record, number, DEFAULTS | fields, "created"))
            continue
        values = {f: current[f] for f in FIELDS} | fields
        changed = any(values[f] != current[f] for f in FIELDS)
        merged.append((record, number, values, "updated" if changed else "unchanged"))
    return merged


def _upsert_params(rows: list[tuple[Record, str, dict[str, Any], str]]) -> dict[str, list[Any]]:
    plural = {"category": "categories", "storage_zone": "storage_zones", "active": "actives"}
    params: dict[str, list[Any]] = {"item_numbers": [number for _, number, _, _ in rows]}
    for f in FIELDS:
        params[plural.get(f, f + "s")] = [values[f] for _, _, values, _ in rows]
    return params


async def _write(tx: Tx, rows: list[tuple[Record, str, dict[str, Any], str]]) -> dict[str, str]:
    """Upsert the new and changed rows; the action of each as the database saw it."""
    changing = [row for row in rows if row[3] != "unchanged"]
    if not changing:
        return {}
    written = await tx.many(UPSERT_ITEMS, _upsert_params(changing))
    return {row["item_number"]: "created" if row["created"] else "updated" for row in written}


def _result(rows: list[tuple[Record, str, dict[str, Any], str]], dry_run: bool) -> ItemImport:
    imported = [ImportedItem(line=r.line, item_number=number, action=action) for r, number, _, action in rows]  # type: ignore[arg-type]
    count = {a: sum(1 for i in imported if i.action == a) for a in ("created", "updated", "unchanged")}
    return ItemImport(**count, dry_run=dry_run, rows=imported)


async def import_items(request: Request) -> Response:
    """POST /v1/items/import (text/csv): create and update items by item_number, all or nothing.
    Columns, in any order: item_number (required), name, unit, category, min_qty, max_qty,
    unit_cost, storage_zone, active. Any invalid row: a 422 listing every problem by line and
    column, and nothing changes. `?dry_run=true` writes nothing and says what the import would do."""
    dry_run = bool_param(request, "dry_run") is True
    sheet = await reader.read_sheet(request, COLUMNS, ("item_number",))
    problems = Problems()
    parsed = _parse(sheet.records, problems)
    async with request_transaction(request) as tx:
        if not dry_run:
            await idempotency.begin(tx, request)
        locked = await tx.many(LOCK_ITEMS_BY_NUMBER, {"numbers": [number for _, number, _ in parsed]})
        rows = merge(parsed, {row["item_number"]: row for row in locked}, problems)
        problems.check()
        if dry_run:
            return json_response(_result(rows, dry_run=True))
        actions = await _write(tx, rows)
        rows = [(r, number, values, actions.get(number, action)) for r, number, values, action in rows]
        result = _result(rows, dry_run=False)
        counts = msgspec.structs.asdict(result) | {"rows": len(result.rows)}
        await audit.record(tx, request, "item.import", "item", None, counts)
        return await idempotency.respond(tx, request, result, 200)
