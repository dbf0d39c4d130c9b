"""What the imports answer (spreadsheets/items.py, supplier_items.py)."""

from __future__ import annotations

from typing import Literal

import msgspec

Action = Literal["created", "updated", "unchanged"]


class ImportedItem(msgspec.Struct, kw_only=True):
    """line: where the record starts in the file, the header being line 1."""

    line: int
    item_number: str
    action: Action


class ItemImport(msgspec.Struct, kw_only=True):
    """dry_run: true when nothing was written (the counts say what the import would do)."""

    created: int
    updated: int
    unchanged: int
    dry_run: bool
    rows: list[ImportedItem]


class ImportedSupplierItem(msgspec.Struct, kw_only=True):
    """pack_name null: sold by the item's stock unit."""

    line: int
    item_number: str
    pack_name: str | None
    action: Action


class SupplierItemImport(msgspec.Struct, kw_only=True):
    """packs_created: packs the price list named that its items did not have."""

    created: int
    updated: int
    unchanged: int
    packs_created: int
    dry_run: bool
    rows: list[ImportedSupplierItem]
