"""CPU per request of the hot read, in-process: the app as `serve` builds it, driven through raw ASGI.

`make bench` reports `cpu ms/req app` from /proc while wrk runs, which on a shared machine moves
with whatever else runs. This measures the same thing without the network or uvicorn: the whole
app (every middleware layer, the handler, psycopg and its pool, the log line, the metrics) answering
`GET /v1/items?category=cat-NN&limit=50` as a viewer, one request after another on one event loop,
and reports the process CPU time per request. CPU time is what a request costs whoever else shares
the cores; run it twice before and after a change and compare. `--callgrind` runs a fixed number of
requests with nothing else, for `valgrind --tool=callgrind` instruction counts (load-independent):

    python -m bench.edge                      # CPU µs per request, 3 rounds
    valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out python -m bench.edge --callgrind 2000

Runs on NEUROPILOT_TEST_DSN (a superuser DSN; see tests/pg.py) or the embedded PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import time
from typing import Any

import psycopg
from tests.pg import Cluster, Db, superuser_dsn

ITEMS, CATEGORIES = 2_000, 20
JWT_KEYS = (("bench", "e" * 64),)
SEED = ("""
insert into item (item_number, name, unit, category, min_qty, max_qty, unit_cost)
select 'ITEM-' || lpad(n::text, 5, '0'), 'Item ' || n, 'kg', 'cat-' || lpad((n %% %(categories)s)::text, 2, '0'),
    5, 60, round((n %% 97)::numeric / 7, 4)
from generate_series(1, %(items)s) as n
""", """
insert into app_user (email, display_name, role, password_hash)
values ('viewer@example.test', 'Viewer', 'viewer', 'no hash: this user only carries minted tokens')
""")


def settings_for(db: Db) -> Any:
    from neuropilot.config import Settings

    return Settings(
        env="production",
        database_url=db.app_dsn,
        migrator_database_url=db.owner_dsn,
        app_role=db.app_role,
        jwt_keys=JWT_KEYS,
        rate_limit_ip_per_min=0,  # as make bench runs it: every request comes from one address
        rate_limit_user_per_min=0,
    )


class Driver:
    """Raw ASGI requests as uvicorn makes them: a scope per request (with a copy of the lifespan
    state), a receive that yields the empty body, a send that keeps the status."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.state: dict[str, Any] = {}
        self.headers = [
            (b"host", b"127.0.0.1:8000"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"accept", b"*/*"),
        ]
        self.status = 0
        self.body = 0

    async def start(self) -> None:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        await queue.put({"type": "lifespan.startup"})
        started = asyncio.Event()

        async def receive() -> dict[str, Any]:
            return await queue.get()

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "lifespan.startup.complete":
                started.set()
            elif message["type"].endswith("failed"):
                raise RuntimeError(message)

        self.queue = queue
        self.lifespan = asyncio.create_task(
            self.app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": self.state}, receive, send)
        )
        await started.wait()

    async def stop(self) -> None:
        await self.queue.put({"type": "lifespan.shutdown"})
        await self.lifespan

    async def get(self, n: int) -> None:
        category = f"cat-{n % CATEGORIES:02d}"
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "server": ("127.0.0.1", 8000),
            "client": ("127.0.0.1", 40000 + n % 1000),
            "scheme": "http",
            "method": "GET",
            "root_path": "",
            "path": "/v1/items",
            "raw_path": b"/v1/items",
            "query_string": f"category={category}&limit=50".encode(),
            "headers": list(self.headers),
            "state": self.state.copy(),
        }

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                self.status = message["status"]
            else:
                self.body += len(message.get("body", b""))

        await self.app(scope, receive, send)
        if self.status != 200:
            raise AssertionError(f"status {self.status}")


async def run(db: Db, rounds: int, requests: int, callgrind: int) -> None:
    from neuropilot.app import GC_THRESHOLDS, create_app
    from neuropilot.tokens import Tokens, load_keys

    settings = settings_for(db)
    with psycopg.connect(db.owner_dsn, autocommit=True) as owner:
        row = owner.execute("select id::text from app_user").fetchone()
    assert row is not None
    token = Tokens(load_keys(settings)).issue_access(row[0], "viewer@example.test", "viewer")
    app = create_app(settings)
    driver = Driver(app, token)
    await driver.start()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        for n in range(200):  # warm: pool connections open, statements prepared, caches filled
            await driver.get(n)
        if callgrind:
            for n in range(callgrind):
                await driver.get(n)
            return
        for r in range(rounds):
            driver.body = 0
            cpu, wall = time.process_time(), time.perf_counter()
            for n in range(requests):
                await driver.get(n)
            cpu_us = (time.process_time() - cpu) / requests * 1e6
            wall_us = (time.perf_counter() - wall) / requests * 1e6
            print(
                f"round {r + 1}: {cpu_us:6.0f} µs CPU/request (this process)  {wall_us:6.0f} µs wall  "
                f"{driver.body // requests} bytes/response",
                file=sys.__stderr__,
            )
    finally:
        await driver.stop()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.edge", description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--requests", type=int, default=3000, help="requests per round (default 3000)")
    p.add_argument("--callgrind", type=int, default=0, metavar="N", help="run N requests after the warm-up, no timing")
    args = p.parse_args(argv)
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover
        pass
    with superuser_dsn() as dsn:
        cluster = Cluster(dsn)
        cluster.setup()
        try:
            db = cluster.clone()
            with psycopg.connect(db.owner_dsn, autocommit=True) as owner:
                for statement in SEED:
                    owner.execute(statement, {"items": ITEMS, "categories": CATEGORIES})  # type: ignore[arg-type]
                owner.execute("vacuum analyze")
            with open(os.devnull, "w") as sink:  # the log lines are still made, as the server makes them
                saved, sys.stdout = sys.stdout, sink
                try:
                    asyncio.run(run(db, args.rounds, args.requests, args.callgrind))
                finally:
                    sys.stdout = saved
        finally:
            cluster.teardown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
