"""Count sessions: open over some locations (lines created then), list, read, post (lines → counts), cancel.

One open session per location is PostgreSQL's rule (uq_count_session_location_open, sql/schema/0012);
FindLocationsInOpenSession only names the location in the 409. A post locks the session FOR UPDATE
and a line PUT FOR KEY SHARE, so they take turns: a line either lands before the post (and is
posted) or finds the session posted (409).
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from psycopg import errors as pgerr
from starlette.requests import Request
from starlette.responses import Response

from neuropilot import audit, idempotency
from neuropilot.counting.models import (
    CountSession,
    CountSessionCreate,
    CountSessionPost,
    PostedCountSession,
)
from neuropilot.db import Tx, request_transaction
from neuropilot.errors import Problem
from neuropilot.ledger import require_active
from neuropilot.listing import NEWEST_FIRST, keyset_list
from neuropilot.queries import query
from neuropilot.responses import resource_etag, resource_response
from neuropilot.validation import check_if_match, invalid, path_id, read_json

FIND_LOCATIONS_IN_OPEN_SESSION = query("FindLocationsInOpenSession")
CREATE_COUNT_SESSION = query("CreateCountSession")
CREATE_COUNT_SESSION_LINES = query("CreateCountSessionLines")
GET_COUNT_SESSION = query("GetCountSession")
LIST_COUNT_SESSIONS = query("ListCountSessions")
LOCK_COUNT_SESSION = query("LockCountSession")
POST_COUNT_SESSION = query("PostCountSession")
CANCEL_COUNT_SESSION = query("CancelCountSession")
STATUSES = ("open", "posted", "canceled")
OPEN_ELSEWHERE = "A location of this session is being counted in another open session; post or cancel that one first."


async def read_session(tx: Tx, session_id: uuid.UUID) -> CountSession:
    row = await tx.one(GET_COUNT_SESSION, {"id": session_id})
    if row is None:
        raise Problem(404, "No such count session.")
    return msgspec.convert(row, CountSession)


def _refuse_duplicates(location_ids: list[uuid.UUID]) -> None:
    seen: set[uuid.UUID] = set()
    for n, location_id in enumerate(location_ids):
        if location_id in seen:
            raise invalid(f"$.location_ids[{n}]", "this location is already in the session")
        seen.add(location_id)


async def _refuse_open_elsewhere(tx: Tx, location_ids: list[uuid.UUID]) -> None:
    busy = {
        row["location_id"]: row["session_id"]
        for row in await tx.many(FIND_LOCATIONS_IN_OPEN_SESSION, {"location_ids": location_ids})
    }
    for location_id in location_ids:
        if location_id in busy:
            raise Problem(409, f"Location {location_id} is being counted in open session {busy[location_id]}.")


async def open_count_session(request: Request) -> Response:
    """POST /v1/count-sessions: opens a session; its lines are, per location, the active items of its
    sheet in sheet order, then the other active items holding stock there, by item_number."""
    body = await read_json(request, CountSessionCreate)
    _refuse_duplicates(body.location_ids)
    async with request_transaction(request) as tx:
        await idempotency.begin(tx, request)
        refs = [("location", loc, f"$.location_ids[{n}]") for n, loc in enumerate(body.location_ids)]
        await require_active(tx, refs)
        await _refuse_open_elsewhere(tx, body.location_ids)
        created = await tx.one(CREATE_COUNT_SESSION, {"blind": body.blind, "note": body.note})
        assert created is not None
        try:
            placed = await tx.one(
                CREATE_COUNT_SESSION_LINES, {"session_id": created["id"], "location_ids": body.location_ids}
            )
        except pgerr.UniqueViolation:  # another session took a location since the check above
            raise Problem(409, OPEN_ELSEWHERE) from None
        assert placed is not None
        session = await read_session(tx, created["id"])
        details = {"location_ids": body.location_ids, "blind": body.blind, "lines": placed["lines_total"]}
        await audit.record(tx, request, "count_session.open", "count_session", session.id, details)
        return await idempotency.created(tx, request, session, f"/v1/count-sessions/{session.id}")


async def get_count_session(request: Request) -> Response:
    async with request_transaction(request) as tx:
        session = await read_session(tx, path_id(request, "count session"))
    return resource_response(session)


def _newest_first(session: CountSession) -> list[Any]:
    return [session.started_at.isoformat(), str(session.id)]


async def list_count_sessions(request: Request) -> Response:
    """GET /v1/count-sessions?status=: newest first."""
    status = request.query_params.get("status")
    if status is not None and status not in STATUSES:
        raise invalid("status", "open, posted or canceled")
    return await keyset_list(
        request, LIST_COUNT_SESSIONS, CountSession, {"status": status}, NEWEST_FIRST, _newest_first
    )


async def _lock_open(tx: Tx, request: Request, action: str) -> CountSession:
    """The session, locked FOR UPDATE, If-Match checked; 409 unless it is open."""
    session_id = path_id(request, "count session")
    locked = await tx.one(LOCK_COUNT_SESSION, {"id": session_id})
    if locked is None:
        raise Problem(404, "No such count session.")
    session = await read_session(tx, session_id)
    check_if_match(request, resource_etag(session))
    if session.status != "open":
        raise Problem(409, f"A {session.status} count session cannot be {action}.")
    return session


async def post_count_session(request: Request) -> Response:
    """POST /v1/count-sessions/{id}/post: in one transaction every counted line becomes an inventory
    count (its counted_at, its counter, its breakdown); with uncounted=zero every uncounted line a count
    of 0 at the posting time. The session becomes posted."""
    body = await read_json(request, CountSessionPost)
    async with request_transaction(request) as tx:
        await idempotency.begin(tx, request)
        before = await _lock_open(tx, request, "posted")
        posted = await tx.one(POST_COUNT_SESSION, {"session_id": before.id, "uncounted": body.uncounted})
        assert posted is not None
        counts = int(posted["counts_created"])
        session = await read_session(tx, before.id)
        details = {"uncounted": body.uncounted, "counts": counts, "lines_counted": before.lines_counted}
        await audit.record(tx, request, "count_session.post", "count_session", session.id, details)
        result = PostedCountSession(**msgspec.structs.asdict(session), counts_created=counts)
        return await idempotency.respond(tx, request, result, 200)


async def cancel_count_session(request: Request) -> Response:
    """POST /v1/count-sessions/{id}/cancel: the session ends and nothing becomes a count."""
    async with request_transaction(request) as tx:
        before = await _lock_open(tx, request, "canceled")
        await tx.exec(CANCEL_COUNT_SESSION, {"id": before.id})
        session = await read_session(tx, before.id)
        details = {"before": {"status": "open"}, "after": {"status": "canceled"}, "lines_counted": before.lines_counted}
        await audit.record(tx, request, "count_session.cancel", "count_session", session.id, details)
    return resource_response(session)
