"""A session's lines: the walk in order (GET), recording a count on one (PUT), and the variance review.

PUT is safe to resend: a line keeps the count with the latest counted_at (an equal one is replaced),
so an offline phone that sends an old count late never overwrites a newer recount, and the same body
twice changes nothing. Every PUT appends an audit row in the same statement as the line's update.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from neuropilot import audit, packs
from neuropilot.counting.models import CountSessionLine, LineRecord, LineVariance, SessionVariance
from neuropilot.db import Tx, identity_of, request_statement, request_transaction
from neuropilot.errors import Problem
from neuropilot.queries import Query, query
from neuropilot.responses import json_response, resource_response
from neuropilot.validation import (
    decode_cursor,
    encode_cursor,
    in_utc,
    invalid,
    limit_param,
    path_id,
    read_json,
    uuid_param,
)

GET_COUNT_SESSION_STATE = query("GetCountSessionState")
SHARE_COUNT_SESSION = query("ShareCountSession")
RECORD_COUNT_LINE_AS = query("RecordCountLineAs")
LIST_COUNT_SESSION_LINES = query("ListCountSessionLines")
LIST_COUNT_SESSION_VARIANCE = query("ListCountSessionVariance")
LEEWAY = timedelta(seconds=30)


async def _session(tx: Tx, q: Query, session_id: uuid.UUID) -> dict[str, Any]:
    row = await tx.one(q, {"id": session_id})
    if row is None:
        raise Problem(404, "No such count session.")
    return row


def _after(request: Request) -> int:
    cursor = decode_cursor(request, 1)
    if cursor is None:
        return 0
    if not isinstance(cursor[0], int) or isinstance(cursor[0], bool) or not 0 <= cursor[0] < 2**31:
        raise invalid("cursor", "not a cursor this API returned")
    return cursor[0]


async def list_session_lines(request: Request) -> Response:
    """GET /v1/count-sessions/{id}/lines?location_id=: the walk, location by location in sheet order.
    expected (on-hand now) is null for a counter when the session is blind."""
    limit, after = limit_param(request), _after(request)  # a bad parameter is a 422 whatever the {id}
    session_id = path_id(request, "count session")
    params = {"session_id": session_id, "location_id": uuid_param(request, "location_id"), "after": after}
    async with request_transaction(request) as tx:
        await _session(tx, GET_COUNT_SESSION_STATE, session_id)
        rows = await tx.many(LIST_COUNT_SESSION_LINES, params | {"limit": limit + 1})
    next_cursor = encode_cursor([rows[limit - 1]["seq"]]) if len(rows) > limit else None
    lines = msgspec.convert(rows[:limit], list[CountSessionLine])
    return json_response({"data": lines, "next_cursor": next_cursor})


def _closed(status: str) -> Problem:
    return Problem(409, f"The count session is {status}: its lines cannot change.")


def _counted_at(body: LineRecord, started_at: datetime) -> datetime | None:
    """The checks record_count_line_as (sql/schema/0016) makes, made first when the body is in packs,
    so that a bad time is named before a bad pack, as for a count in stock units."""
    if body.counted_at is None:
        return None
    counted_at = in_utc(body.counted_at, "$.counted_at")
    if counted_at > datetime.now(UTC) + LEEWAY:
        raise invalid("$.counted_at", "in the future")
    if counted_at < started_at:
        raise invalid("$.counted_at", "before the session started")
    return counted_at


REFUSALS = {
    "future": ("$.counted_at", "in the future"),
    "early": ("$.counted_at", "before the session started"),
    "line": ("$.item_id", "this item at this location is not a line of the session"),
}
LINE_AS_COLUMNS = ("refused", "session_status", *CountSessionLine.__struct_fields__)


def _recorded(rows: list[tuple[Any, ...]]) -> CountSessionLine:
    """RecordCountLineAs's row: the line, or the refusal it names (nothing was written)."""
    ((refused, status, *line),) = rows
    if refused == "session":
        raise Problem(404, "No such count session.")
    if refused == "closed":
        raise _closed(status)
    if refused is not None:
        raise invalid(*REFUSALS[refused])
    return msgspec.convert(dict(zip(CountSessionLine.__struct_fields__, line, strict=True)), CountSessionLine)


async def record_session_line(request: Request) -> Response:
    """PUT /v1/count-sessions/{id}/lines: records a count on a line, or replaces it (the latest
    counted_at wins; resending the same body is harmless). counted_at defaults to now; it may lie in
    the past, but not before the session started nor in the future."""
    # One statement (record_count_line_as: the session's lock and state, the checks, the line, its
    # audit row, the line read back); a count in packs first resolves its packs in a transaction.
    session_id = path_id(request, "count session")
    body = await read_json(request, LineRecord)
    line = {"session_id": session_id, "location_id": body.location_id, "item_id": body.item_id}
    params = line | audit.request_meta(request)
    details = msgspec.structs.asdict(body)
    if body.breakdown is None and body.qty_on_hand is not None:
        counted_at = None if body.counted_at is None else in_utc(body.counted_at, "$.counted_at")
        params |= {"qty": body.qty_on_hand, "breakdown": None, "counted_at": counted_at}
        params["details"] = audit.details_param(details | {"counted_qty": body.qty_on_hand})
        rows = await request_statement(request, RECORD_COUNT_LINE_AS, params, LINE_AS_COLUMNS)
        return resource_response(_recorded(rows))
    async with request_transaction(request) as tx:  # in packs (or neither, or both: refused below)
        session = await _session(tx, SHARE_COUNT_SESSION, session_id)
        if session["status"] != "open":
            raise _closed(session["status"])
        counted_at = _counted_at(body, session["started_at"])
        qty, parts = await packs.counted_qty(tx, body.item_id, body.qty_on_hand, body.breakdown, "$")
        params |= {"qty": qty, "breakdown": packs.parts_param(parts), "counted_at": counted_at}
        params["details"] = audit.details_param(details | {"counted_qty": qty})
        rows = await tx.tuples(RECORD_COUNT_LINE_AS, params | asdict(identity_of(request)), LINE_AS_COLUMNS)
    return resource_response(_recorded(rows))


async def session_variance(request: Request) -> Response:
    """GET /v1/count-sessions/{id}/variance: each counted line against the on-hand expected as of its
    counted_at (so what was used while the count went on is no variance), valued at unit_cost."""
    session_id = path_id(request, "count session")
    async with request_transaction(request) as tx:
        await _session(tx, GET_COUNT_SESSION_STATE, session_id)
        rows = await tx.many(LIST_COUNT_SESSION_VARIANCE, {"session_id": session_id})
    total = rows[0]["total_value"] if rows else "0.0000000"
    return json_response(SessionVariance(data=msgspec.convert(rows, list[LineVariance]), total_value=total))
