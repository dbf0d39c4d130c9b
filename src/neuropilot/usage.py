"""GET /v1/reports/usage (CONTRACT §15): what each item opened and closed the period with, what came
in, what was used, wasted and adjusted, and what really left the shelves (consumption = opening +
received - closing, so count variances are in it). opening and closing follow the ledger rule of
sql/schema/0006 as of a time (sql/queries/usage.sql). A plain read: READ ONLY, no audit row.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from neuropilot.db import request_transaction
from neuropilot.kitchen_models import UsageReport
from neuropilot.params import AwareTime, Param
from neuropilot.queries import query
from neuropilot.responses import json_response
from neuropilot.validation import invalid, time_param

LIST_USAGE = query("ListUsage")
SET_REPORT_PLANNER = query("SetReportPlanner")
PERIOD_SINCE = Param("since", AwareTime, "The period's start, excluded (RFC 3339 with an offset).", required=True)
PERIOD_UNTIL = Param("until", AwareTime, "The period's end, included; now when left out.")
PERIOD = (PERIOD_SINCE, PERIOD_UNTIL)
NO_MONEY = Decimal("0E-7")  # scale 7, as the report's amounts


def period(request: Request) -> tuple[datetime, datetime]:
    """?since= (required) and ?until= (default now), since before until; the period is (since, until]."""
    since, until = time_param(request, "since"), time_param(request, "until")
    if since is None:
        raise invalid("since", "required: an RFC 3339 time, e.g. 2026-01-31T00:00:00Z")
    until = until or datetime.now(UTC)
    if since >= until:
        raise invalid("until", "after since")
    return since, until


def money_sum(values: list[str | None]) -> str:
    """Σ of exact decimal strings (nulls left out), printed at scale 7 like each of them."""
    total = sum((Decimal(v) for v in values if v is not None), NO_MONEY)
    return f"{total:f}"


async def usage(request: Request) -> Response:
    """GET /v1/reports/usage?since=&until=: per item with stock or movements in the period, by item_number."""
    since, until = period(request)
    async with request_transaction(request) as tx:  # the planner's defaults otherwise: the plan needs its probes
        await tx.exec(SET_REPORT_PLANNER)
        rows = await tx.many(LIST_USAGE, {"since": since, "until": until})
    totals: dict[str, Any] = {
        "consumption_value": money_sum([r["consumption_value"] for r in rows]),
        "received_value": money_sum([r["received_value"] for r in rows]),
        "uncosted_items": sum(1 for r in rows if r["unit_cost"] is None),
    }
    return json_response(msgspec.convert({"data": rows, "totals": totals}, UsageReport))
