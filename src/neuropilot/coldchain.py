"""The cold chain (CONTRACT §15): stock comes into a location only if the location's temp_zone is the
item's storage_zone (an item without one goes anywhere).

`require_zones` is the check every route that brings stock in calls before it writes (a receive
movement, a PO receipt, the destination of a transfer), so the 422 names the field. The trigger
movement_cold_chain (sql/schema/0011) enforces the same rule inside PostgreSQL for any writer;
errors.py maps its refusal to the same 422. Counts, uses, waste and adjustments are never refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from neuropilot.db import Tx
from neuropilot.queries import query
from neuropilot.validation import invalid

FIND_ZONE_CONFLICTS = query("FindZoneConflicts")
PLACES = {"dry": "dry store", "cooler": "cooler", "freezer": "freezer"}


def conflict_message(item_name: str, storage_zone: str, location_code: str, temp_zone: str) -> str:
    """ "Frozen peas is kept in the freezer; COOL-1 is a cooler location" (the trigger says the same)."""
    return f"{item_name} is kept in the {PLACES[storage_zone]}; {location_code} is a {temp_zone} location"


async def require_zones(tx: Tx, refs: Sequence[tuple[Any, Any, str]]) -> None:
    """422 naming the first (item_id, location_id, path) whose location is in the wrong zone."""
    if not refs:
        return
    params = {"item_ids": [item for item, _, _ in refs], "location_ids": [loc for _, loc, _ in refs]}
    conflicts = await tx.many(FIND_ZONE_CONFLICTS, params)
    if conflicts:
        bad = conflicts[0]
        path = refs[bad["n"] - 1][2]
        raise invalid(
            path, conflict_message(bad["item_name"], bad["storage_zone"], bad["location_code"], bad["temp_zone"])
        )
