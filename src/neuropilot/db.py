"""The only place that opens transactions.

Every request runs in one transaction on a pooled connection: BEGIN (READ ONLY for safe methods),
then one `select set_config(...)` round trip that sets app.user_id, app.role and statement_timeout
transaction-locally (so nothing survives into the next user of the connection, as PgBouncer in
transaction mode requires), then the named queries, then COMMIT, or ROLLBACK on any error.

The hottest requests skip all that: their named query calls a function that takes the caller's id
and role and sets the context itself (sql/schema/0009), so `Database.statement` sends it as one
prepared statement on an autocommit connection: one round trip, its own implicit transaction.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import AsyncConnection, AsyncCursor, Column
from psycopg.rows import DictRow, dict_row, tuple_row
from psycopg_pool import AsyncConnectionPool
from starlette.requests import Request

from neuropilot.config import Settings
from neuropilot.queries import Query, QueryError, query

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

    async def tuples(self, q: Query, params: Params, columns: tuple[str, ...]) -> list[tuple[Any, ...]]:
        """Rows as tuples of `columns`, in that order (Database.statement's rows, in a transaction)."""
        await self._run(q, params)
        _check_columns(q, self._cur.description, columns)
        return [tuple(row.values()) for row in await self._cur.fetchall()]

    async def exec(self, q: Query, params: Params = None) -> int:
        assert q.kind in ("exec", "execrows"), q.name
        await self._run(q, params)
        return self._cur.rowcount


def identity_of(request: Request) -> Identity:
    identity: Identity = getattr(request.state, "identity", ANONYMOUS)
    return identity


def request_statement(
    request: Request, q: Query, params: dict[str, Any], columns: tuple[str, ...]
) -> Awaitable[list[tuple[Any, ...]]]:
    """Database.statement as the request's caller: read-only (and on the replica) for GET."""
    db: Database = request.state.db
    return db.statement(identity_of(request), q, params, columns, readonly=request.method in ("GET", "HEAD"))


def request_transaction(request: Request, *, readonly: bool | None = None) -> AbstractAsyncContextManager[Tx]:
    """The request's transaction as its caller: read-only for GET (on the replica, when one is
    configured) unless the route writes, as audited reads do."""
    db: Database = request.state.db
    if readonly is None:
        readonly = request.method in ("GET", "HEAD")
    return db.transaction(identity_of(request), readonly=readonly, replica=readonly)


class _StaleConnection(Exception):
    """The pooled connection died before the transaction did anything: take another."""


def _pool(dsn: str, settings: Settings, name: str) -> AsyncConnectionPool[AsyncConnection[Any]]:
    return AsyncConnectionPool(
        dsn,
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        timeout=settings.pool_timeout_s,
        kwargs=_connect_options(settings),
        name=name,
        open=False,
    )


def _connect_options(settings: Settings) -> dict[str, Any]:
    """Autocommit connections: transaction() sends BEGIN itself, Database.statement runs alone.
    On a direct connection the session carries statement_timeout, which bounds one-statement
    requests; behind PgBouncer (prepared statements off) startup options are not passed through,
    so there every request runs in a transaction that sets the timeout locally (and prepare_threshold
    None turns server-side prepared statements off)."""
    options: dict[str, Any] = {"autocommit": True, "prepare_threshold": None}
    if settings.prepared_statements:
        # TimeZone UTC (not Etc/UTC) also lets psycopg load timestamptz on its fast path (about 0.5 µs less a value).
        startup = f"-c statement_timeout={settings.statement_timeout_ms} -c TimeZone=UTC"
        options |= {"prepare_threshold": 5, "options": startup}
    return options


def _check_columns(q: Query, description: Sequence[Column] | None, columns: tuple[str, ...]) -> None:
    names = tuple(column.name for column in description or ())
    if names != columns:
        raise QueryError(f"{q.name} ({q.source}) returns {names}, the code expects {columns}")


def _not_run(exc: psycopg.OperationalError) -> bool:
    """The server ended the connection (class 57: shut down, terminated by an admin) rather than it
    breaking somewhere in between: a statement sent on it did not commit."""
    return (exc.sqlstate or "").startswith("57")


class Database:
    """The app role's pool (and, with DATABASE_READ_URL, a replica pool for plain reads)."""

    def __init__(self, settings: Settings, observe: QueryObserver = _ignore) -> None:
        if not settings.database_url:
            raise ValueError("DATABASE_URL is not set")
        self.observe = observe
        self.statement_timeout = str(settings.statement_timeout_ms)
        self.one_statement = settings.prepared_statements
        self._checked: set[str] = set()  # queries whose columns Database.statement has checked
        self.pool = _pool(settings.database_url, settings, "neuropilot")
        self.read_pool = (
            _pool(settings.database_read_url, settings, "neuropilot-read") if settings.database_read_url else None
        )

    def _pools(self) -> list[AsyncConnectionPool[AsyncConnection[Any]]]:
        return [self.pool] + ([self.read_pool] if self.read_pool else [])

    async def open(self) -> None:
        # Do not wait for connections: the API starts and /health says 503 while the database is away.
        for pool in self._pools():
            await pool.open(wait=False)

    async def close(self) -> None:
        for pool in self._pools():
            await pool.close()

    def _pool_for(self, readonly: bool, replica: bool) -> AsyncConnectionPool[AsyncConnection[Any]]:
        return self.read_pool if replica and readonly and self.read_pool else self.pool

    async def statement(
        self, identity: Identity, q: Query, params: dict[str, Any], columns: tuple[str, ...], *, readonly: bool
    ) -> list[tuple[Any, ...]]:
        """Run one named query that sets the request context itself (its SQL takes %(user_id)s and
        %(role)s) as a single autocommit statement. Rows are tuples, so callers can build their
        Structs positionally (cheaper than dict rows + msgspec.convert): the query's columns must be
        exactly `columns`, checked on its first run in the process. A dead pooled connection is
        replaced as in transaction(): always for a read, for a write only when the server said it
        ended the connection (the write cannot have committed). Behind PgBouncer it runs in
        transaction()."""
        params = params | {"user_id": identity.user_id, "role": identity.role}
        if not self.one_statement:
            async with self.transaction(identity, readonly=readonly, replica=readonly) as tx:
                return await tx.tuples(q, params, columns)
        pool = self._pool_for(readonly, replica=readonly)
        attempts = pool.max_size + 1
        for attempt in range(1, attempts + 1):
            async with pool.connection() as conn, conn.cursor(row_factory=tuple_row) as cur:
                started = time.perf_counter()
                try:
                    await cur.execute(q.sql, params)
                    if q.name not in self._checked:
                        _check_columns(q, cur.description, columns)
                        self._checked.add(q.name)
                    return await cur.fetchall()
                except psycopg.OperationalError as exc:
                    if attempt < attempts and conn.broken and (readonly or _not_run(exc)):
                        continue
                    raise
                finally:
                    self.observe(q.name, time.perf_counter() - started)
        raise AssertionError("unreachable")  # pragma: no cover

    @asynccontextmanager
    async def transaction(
        self, identity: Identity = ANONYMOUS, *, readonly: bool = False, replica: bool = False
    ) -> AsyncIterator[Tx]:
        """One transaction as identity. A pooled connection found dead before anything ran on it
        (the server restarted, an admin ended the backend) is discarded and another taken, so the
        client never sees it; after a restart every pooled connection may be dead, hence max_size + 1."""
        pool = self._pool_for(readonly, replica)
        attempts = pool.max_size + 1
        for attempt in range(1, attempts + 1):
            async with pool.connection() as conn:
                try:
                    async with self._begin(conn, identity, readonly, retry=attempt < attempts) as tx:
                        yield tx
                        return
                except _StaleConnection:
                    continue

    @asynccontextmanager
    async def _begin(
        self, conn: AsyncConnection[Any], identity: Identity, readonly: bool, retry: bool
    ) -> AsyncIterator[Tx]:
        started = False
        try:
            await conn.set_read_only(readonly)
            async with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
                tx = Tx(cur, self.statement_timeout, self.observe)
                await tx.become(identity)
                started = True
                yield tx
        except psycopg.OperationalError:
            if retry and not started and conn.broken:
                raise _StaleConnection from None
            raise
