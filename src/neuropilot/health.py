"""GET /health: is the API up, and does the database answer through the pool?"""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
from starlette.requests import Request
from starlette.responses import Response

from neuropilot.db import Database
from neuropilot.queries import query
from neuropilot.responses import json_response

CHECK_DATABASE = query("CheckDatabase")


async def health(request: Request) -> Response:
    db: Database = request.state.db
    try:
        async with db.transaction(readonly=True) as tx:
            await tx.one(CHECK_DATABASE)
        database = "ok"
    except psycopg.Error:
        database = "error"
    body = {"api": "ok", "database": database, "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z")}
    if database == "ok":
        return json_response(body, headers={"Cache-Control": "no-store"})
    return json_response(body, 503, {"Retry-After": "5", "Cache-Control": "no-store"})
