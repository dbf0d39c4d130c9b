"""A count entered in packs (CONTRACT §11): breakdown parts → the stock-unit total and the parts as stored.

Interim: the packs branch builds the shared resolver for POST /v1/counts (packs.resolve_breakdown);
this one follows the same rules and the same stored shape, so the session lines can switch to it.
"""

from __future__ import annotations

import uuid
from decimal import Decimal, localcontext

from neuropilot.counting.models import BreakdownPart, CountedPart
from neuropilot.db import Tx
from neuropilot.queries import query
from neuropilot.validation import invalid

LIST_ACTIVE_PACKS_OF_ITEM = query("ListActivePacksOfItem")
STEP = Decimal("0.001")
LIMIT = Decimal(10) ** 11  # numeric(14, 3)


async def resolve_breakdown(
    tx: Tx, item_id: uuid.UUID, parts: list[BreakdownPart], path: str
) -> tuple[str, list[CountedPart]]:
    """(qty_on_hand, stored parts), or a 422 naming the part whose pack is not an active pack of the
    item, or the breakdown when its total is not a whole number of 0.001 stock units or too large."""
    wanted = [part.pack_id for part in parts if part.pack_id is not None]
    rows = await tx.many(LIST_ACTIVE_PACKS_OF_ITEM, {"item_id": item_id, "pack_ids": wanted})
    sizes: dict[uuid.UUID | None, Decimal] = {row["id"]: row["qty"] for row in rows}
    total, stored = Decimal(0), []
    with localcontext(prec=60):  # 10 parts of (11 + 3 digits) x (11 + 3 digits): exact, never rounded
        for n, part in enumerate(parts):
            size = Decimal(1) if part.pack_id is None else sizes.get(part.pack_id)
            if size is None:
                raise invalid(f"{path}[{n}].pack_id", "not an active pack of this item")
            total += Decimal(part.qty) * size
            stored.append(CountedPart(pack_id=part.pack_id, qty=part.qty, pack_qty=str(size)))
        if total != total.quantize(STEP):
            raise invalid(path, "the total is not a whole number of 0.001 stock units")
    if total >= LIMIT:
        raise invalid(path, f"the total reaches {LIMIT:,} stock units")
    return f"{total:.3f}", stored
