from __future__ import annotations

import asyncio
import time

import psycopg
import pytest
from psycopg_pool import PoolTimeout

from neuropilot.db import Database, Identity
from neuropilot.queries import Query, QueryError
from tests.conftest import settings_for
from tests.pg import Db

ADMIN = Identity("00000000-0000-4000-8000-000000000001", "admin")


def q(sql: str, kind: str = "one") -> Query:
    return Query("Adhoc", kind, sql, "test")  # type: ignore[arg-type]


def run(database: Db, **overrides: object) -> Database:
    return Database(settings_for(database, pool_min_size=1, pool_max_size=1, **overrides))


async def with_db(db: Database, body):  # type: ignore[no-untyped-def]
    await db.open()
    try:
        return await body(db)
    finally:
        await db.close()


def test_settings_are_transaction_local_and_do_not_leak_to_the_next_user(database: Db) -> None:
    settings = q("select current_setting('app.user_id', true) as u, current_setting('app.role', true) as r")

    async def body(db: Database) -> tuple[object, object, object]:
        async with db.transaction(ADMIN) as tx:
            inside = await tx.one(settings)
            pid = await tx.one(q("select pg_backend_pid() as pid"))
        async with db.transaction() as tx:  # same single pooled connection, no identity
            after = await tx.one(settings)
            same_pid = await tx.one(q("select pg_backend_pid() as pid"))
            visible = await tx.one(q("select count(*) as n from location"))
        assert pid == same_pid
        return inside, after, visible

    inside, after, visible = asyncio.run(with_db(run(database), body))
    assert inside == {"u": ADMIN.user_id, "r": "admin"}
    assert after == {"u": "", "r": ""}
    assert visible == {"n": 0}


def test_readonly_transaction_refuses_writes(database: Db) -> None:
    async def body(db: Database) -> None:
        async with db.transaction(ADMIN, readonly=True) as tx:
            await tx.exec(q("insert into location (code, name, temp_zone) values ('X', 'X', 'dry')", "exec"))

    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        asyncio.run(with_db(run(database), body))


def test_error_rolls_back_the_whole_transaction(database: Db, owner: psycopg.Connection) -> None:
    insert = q("insert into location (code, name, temp_zone) values (%(code)s, 'Shelf', 'dry')", "exec")

    async def body(db: Database) -> None:
        async with db.transaction(ADMIN) as tx:
            await tx.exec(insert, {"code": "FIRST"})
            await tx.exec(insert, {"code": "FIRST"})  # unique violation

    with pytest.raises(psycopg.errors.UniqueViolation):
        asyncio.run(with_db(run(database), body))
    assert owner.execute("select count(*) from location").fetchone() == (0,)


def test_statement_timeout_applies_per_transaction(database: Db) -> None:
    async def body(db: Database) -> None:
        async with db.transaction(ADMIN, readonly=True) as tx:
            await tx.one(q("select pg_sleep(2) as slept"))

    started = time.monotonic()
    with pytest.raises(psycopg.errors.QueryCanceled):
        asyncio.run(with_db(run(database, statement_timeout_ms=200), body))
    assert time.monotonic() - started < 1.5


def test_prepared_statements_can_be_turned_off(database: Db) -> None:
    count = q("select count(*) as n from pg_prepared_statements")

    async def body(db: Database) -> object:
        for _ in range(8):  # psycopg prepares after 5 executions when allowed
            async with db.transaction(ADMIN, readonly=True) as tx:
                last = await tx.one(count)
        return last

    assert asyncio.run(with_db(run(database, prepared_statements=False), body)) == {"n": 0}
    assert asyncio.run(with_db(run(database, prepared_statements=True), body)) != {"n": 0}


def test_exhausted_pool_times_out_fast(database: Db) -> None:
    async def body(db: Database) -> None:
        async with db.transaction(ADMIN), db.transaction(ADMIN):  # the second waits for the only connection
            pass

    started = time.monotonic()
    with pytest.raises(PoolTimeout):
        asyncio.run(with_db(run(database, pool_timeout_s=0.3), body))
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("prepared", [True, False], ids=["one-statement", "in-a-transaction"])
def test_statement_rows_must_have_the_columns_the_code_builds_from(database: Db, prepared: bool) -> None:
    """Database.statement's tuples are built into Structs by position: a query whose columns differ in
    name or order from what the caller expects is an error, never a silently shuffled object."""
    both = q("select 1 as a, 2 as b, %(user_id)s as u, %(role)s as r", "many")

    async def body(db: Database) -> list[tuple[object, ...]]:
        with pytest.raises(QueryError, match=r"returns \('a', 'b', 'u', 'r'\)"):
            await db.statement(ADMIN, both, {}, ("b", "a", "u", "r"), readonly=True)
        with pytest.raises(QueryError):
            await db.statement(ADMIN, both, {}, ("a", "b"), readonly=True)
        return await db.statement(ADMIN, both, {}, ("a", "b", "u", "r"), readonly=True)

    rows = asyncio.run(with_db(run(database, prepared_statements=prepared), body))
    assert rows == [(1, 2, ADMIN.user_id, "admin")]


def test_one_statement_context_does_not_survive_the_statement(database: Db) -> None:
    """The statement sets app.user_id and app.role itself (as the *_as functions do): on the same
    pooled connection, the next transaction sees neither."""
    sets = q("select set_config('app.user_id', %(user_id)s, true), set_config('app.role', %(role)s, true)", "many")
    settings = q("select current_setting('app.user_id', true) as u, current_setting('app.role', true) as r")

    async def body(db: Database) -> object:
        await db.statement(ADMIN, sets, {}, ("set_config", "set_config"), readonly=False)
        async with db.transaction() as tx:
            return await tx.one(settings)

    assert asyncio.run(with_db(run(database), body)) == {"u": "", "r": ""}
