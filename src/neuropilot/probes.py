"""GET /live and GET /ready: the orchestrator's probes (CONTRACT §18).

/live says the process serves requests and touches nothing else, so a database outage never gets
healthy processes restarted. /ready says this instance should get traffic: the database answers as
the app role (the pool's own connections) and its newest applied migration is the one this code
was written for; an older schema (a deploy that skipped `migrate`) or a newer one (this instance is
the old code in a rolling deploy) is 503, as is a database that does not answer.

Both are public and exempt from the rate limits (ratelimit.EXEMPT_PATHS): an orchestrator probing
through one address must never be limited into "not ready". So that /ready cannot be used to make
the database work, each worker asks it at most once per READY_TTL_S and answers every probe in
between from that result (concurrent probes wait for the one query in flight).
"""

from __future__ import annotations

import asyncio
import time
from typing import Literal

import psycopg
from starlette.requests import Request
from starlette.responses import Response

from neuropilot.config import sql_dir
from neuropilot.db import Database
from neuropilot.migrate import migrations
from neuropilot.openapi import Live, Ready
from neuropilot.queries import query
from neuropilot.responses import json_response

SCHEMA_VERSION = query("SchemaVersion")
READY_TTL_S = 1.0
RETRY_AFTER_S = "5"
NO_STORE = {"Cache-Control": "no-store"}

SchemaState = Literal["current", "behind", "ahead", "unknown"]


def code_schema_version() -> int:
    """The newest migration this code ships (sql/schema)."""
    return max(m.version for m in migrations(sql_dir() / "schema"))


class Readiness:
    """One worker's readiness, asked of the database at most once per ttl_s."""

    def __init__(self, expected_version: int, ttl_s: float | None = None) -> None:
        self.expected_version = expected_version
        self.ttl_s = READY_TTL_S if ttl_s is None else ttl_s
        self._result: Ready | None = None
        self._at = 0.0
        self._lock = asyncio.Lock()

    async def check(self, db: Database) -> Ready:
        if self._result is not None and time.monotonic() - self._at < self.ttl_s:
            return self._result
        async with self._lock:
            if self._result is None or time.monotonic() - self._at >= self.ttl_s:
                self._result = await self._ask(db)
                self._at = time.monotonic()
            return self._result

    async def _ask(self, db: Database) -> Ready:
        try:
            async with db.transaction(readonly=True) as tx:
                row = await tx.one(SCHEMA_VERSION)
        except psycopg.errors.UndefinedFunction:  # schema_version() came with 0014: the schema predates it
            return Ready(database="ok", schema="behind")
        except psycopg.errors.InsufficientPrivilege:  # the grant is missing: policies not applied
            return Ready(database="ok", schema="unknown")
        except psycopg.Error:
            return Ready(database="error", schema="unknown")
        return Ready(database="ok", schema=self._compare(row["version"] if row else None))

    def _compare(self, version: int | None) -> SchemaState:
        if version is None:
            return "unknown"
        if version < self.expected_version:
            return "behind"
        return "ahead" if version > self.expected_version else "current"


async def live(request: Request) -> Response:
    return json_response(Live(status="ok"), headers=NO_STORE)


async def ready(request: Request) -> Response:
    readiness: Readiness = request.state.readiness
    result = await readiness.check(request.state.db)
    if result.database == "ok" and result.schema == "current":
        return json_response(result, headers=NO_STORE)
    return json_response(result, 503, {"Retry-After": RETRY_AFTER_S} | NO_STORE)
