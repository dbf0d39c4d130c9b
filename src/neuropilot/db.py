"""The only place that opens transactions.

Every request runs in one transaction on a pooled connection: BEGIN (READ ONLY for safe methods),
then one `select set_config(...)` round trip that sets app.user_id, app.role and statement_timeout
transaction-locally (so nothing survives into the next user of the connection, as PgBouncer in
transaction mode requires), then the named queries, then COMMIT, or ROLLBACK on any error.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection, AsyncCursor
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool
from starlette.requests import Request

from neuropilot.config import Settings
from neuropilot.queries import Query, query

SET_REQUEST_CONTEXT = query("SetRequestContext")

Params = dict[str, Any] | None


@dataclass(frozen=True)
class Identity:
    """Who the transaction runs as; the empty identity sees and writes nothing under RLS."""

    user_id: str = ""
    role: str = ""


ANONYMOUS = Identity()


QueryObserver = Callable[[str, float], None]


def _ignore(name: str, seconds: float) -> None:
    pass


class Tx:
    """Runs named queries inside one open transaction, timing each by name."""

    def __init__(self, cursor: AsyncCursor[DictRow], statement_timeout: str, observe: QueryObserver) -> None:
        self._cur = cursor
        self._statement_timeout = statement_timeout
        self._observe = observe

    async def _run(self, q: Query, params: Params) -> None:
        started = time.perf_counter()
        try:
            await self._cur.execute(q.sql, params)
        finally:
            self._observe(q.name, time.perf_counter() - started)

    async def become(self, identity: Identity) -> None:
        """Switch the transaction's caller, e.g. once a refresh token has told us who it is."""
        await self._run(
            SET_REQUEST_CONTEXT,
            {"user_id": identity.user_id, "role": identity.role, "statement_timeout": self._statement_timeout},
        )

    async def one(self, q: Query, params: Params = None) -> DictRow | None:
        assert q.kind == "one", q.name
        await self._run(q, params)
        return await self._cur.fetchone()

    async def many(self, q: Query, params: Params = None) -> list[DictRow]:
        assert q.kind == "many", q.name
        await self._run(q, params)
        return await self._cur.fetchall()

    async def exec(self, q: Query, params: Params = None) -> int:
        assert q.kind in ("exec", "execrows"), q.name
        await self._run(q, params)
        return self._cur.rowcount


def identity_of(request: Request) -> Identity:
    identity: Identity = getattr(request.state, "identity", ANONYMOUS)
    return identity


def request_transaction(request: Request, *, readonly: bool | None = None) -> AbstractAsyncContextManager[Tx]:
    """The request's transaction as its caller; read-only for GET unless the route writes (audited reads)."""
    db: Database = request.state.db
    if readonly is None:
        readonly = request.method in ("GET", "HEAD")
    return db.transaction(identity_of(request), readonly=readonly)


class Database:
    def __init__(self, settings: Settings, observe: QueryObserver = _ignore) -> None:
        if not settings.database_url:
            raise ValueError("DATABASE_URL is not set")
        self.observe = observe
        self.statement_timeout = str(settings.statement_timeout_ms)
        self.pool: AsyncConnectionPool[AsyncConnection[Any]] = AsyncConnectionPool(
            settings.database_url,
            min_size=settings.pool_min_size,
            max_size=settings.pool_max_size,
            timeout=settings.pool_timeout_s,
            # None turns server-side prepared statements off (PgBouncer in transaction mode).
            kwargs={"prepare_threshold": 5 if settings.prepared_statements else None},
            name="neuropilot",
            open=False,
        )

    async def open(self) -> None:
        # Do not wait for connections: the API starts and /health says 503 while the database is away.
        await self.pool.open(wait=False)

    async def close(self) -> None:
        await self.pool.close()

    @asynccontextmanager
    async def transaction(self, identity: Identity = ANONYMOUS, *, readonly: bool = False) -> AsyncIterator[Tx]:
        async with self.pool.connection() as conn:
            await conn.set_read_only(readonly)
            async with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
                tx = Tx(cur, self.statement_timeout, self.observe)
                await tx.become(identity)
                yield tx
