"""`python -m bench.usage`: GET /v1/reports/usage over 30 days at 100k and at 1M movements (CONTRACT §15).

Seeds 10k items x 12 locations with an opening count of every pair and two more stock-takes of every
pair at random times in the year (360k counts), then movements at random times over the year
(receive 30 %, use 55 %, waste 5 %, adjust 10 %), WITH the stock_level and cold-chain triggers on.
At each size it prints EXPLAIN (ANALYZE, BUFFERS) of ListUsage as the app role, and the latency of
the HTTP request in-process (the app and a real PostgreSQL; no network).

Target: under 1 s at 1M movements. Exits 1 if missed. Runs on the embedded PostgreSQL unless
NEUROPILOT_TEST_DSN names a superuser DSN (see tests/pg.py).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import TextIO

import psycopg
import structlog
from bench.stock import settings_for
from starlette.testclient import TestClient
from tests.pg import Cluster, Db, superuser_dsn

from neuropilot.app import create_app
from neuropilot.config import Settings
from neuropilot.queries import query
from neuropilot.tokens import Tokens, load_keys

ITEMS, LOCATIONS, STOCK_TAKES = 10_000, 12, 2
SIZES, CHUNK = (100_000, 1_000_000), 100_000
START = datetime(2025, 1, 1, tzinfo=UTC)
UNTIL = START + timedelta(days=365)
SINCE = UNTIL - timedelta(days=30)
RUNS, TARGET_MS = 7, 1000.0
JWT_KEYS = (("bench", "b" * 64),)

SEED = [
    """
    insert into location (code, name, temp_zone)
    select 'LOC-' || lpad(n::text, 2, '0'), 'Zone ' || n, (array['dry', 'cooler', 'freezer'])[1 + n %% 3]
    from generate_series(1, %(locations)s) as n
    """,
    """
    insert into item (item_number, name, unit, category, unit_cost)
    select 'ITEM-' || lpad(n::text, 5, '0'), 'Item ' || n, 'kg', 'cat-' || lpad((n %% 20)::text, 2, '0'),
        case when n %% 50 = 0 then null else round((random() * 20)::numeric, 4) end
    from generate_series(1, %(items)s) as n
    """,
    """
    insert into inventory_count (item_id, location_id, qty_on_hand, counted_at)
    select i.id, l.id, round((random() * 100)::numeric, 3), %(start)s
    from item as i cross join location as l
    """,
    """
    insert into inventory_count (item_id, location_id, qty_on_hand, counted_at)
    select i.id, l.id, round((random() * 100)::numeric, 3), %(start)s + random() * interval '365 days'
    from item as i cross join location as l cross join generate_series(1, %(stock_takes)s) as t
    """,
    """
    insert into app_user (email, display_name, role, password_hash)
    values ('bench@example.test', 'Bench', 'manager', 'no hash: this user only carries minted tokens')
    """,
]

MOVEMENTS = """
with ids as (
    select (select array_agg(id order by item_number) from item) as items,
        (select array_agg(id order by code) from location) as locations
)
insert into movement (item_id, location_id, type, qty, reason, created_at)
select ids.items[1 + floor(random() * %(items)s)::int], ids.locations[1 + floor(random() * %(locations)s)::int],
    r.type, case when r.type in ('receive', 'adjust') then r.qty else -r.qty end,
    case when r.type = 'waste' then 'spoiled' end,
    %(start)s + random() * interval '365 days'
from ids, generate_series(1, %(n)s) as g,
    lateral (
        select case when x < 0.30 then 'receive' when x < 0.85 then 'use' when x < 0.90 then 'waste' else 'adjust' end
            as type, round((0.001 + random() * 10)::numeric, 3) as qty
        from (select random() as x, g) as d
    ) as r
"""


def seed(owner: psycopg.Connection) -> None:
    params = {"items": ITEMS, "locations": LOCATIONS, "start": START, "stock_takes": STOCK_TAKES}
    for statement in SEED:
        owner.execute(statement, params)


def grow(owner: psycopg.Connection, have: int, want: int) -> None:
    while have < want:
        n = min(CHUNK, want - have)
        owner.execute(MOVEMENTS, {"items": ITEMS, "locations": LOCATIONS, "start": START, "n": n})
        # Each chunk updates most stock_level rows in one statement; without a vacuum in between, ten
        # of them leave the table ~9x its live size, a state no kitchen reaches: autovacuum visits a
        # table after 20 % of its rows changed, many times over the weeks 100k movements take.
        owner.execute("vacuum stock_level")
        have += n
    owner.execute("vacuum analyze")


def explain(db: Db, user_id: str) -> str:
    """The plan as the API runs it: the app role, the request context and SetReportPlanner, read-only."""
    with psycopg.connect(db.app_dsn) as conn:
        conn.execute("set transaction read only")
        conn.execute("select set_config('app.user_id', %s, true), set_config('app.role', 'manager', true)", (user_id,))
        conn.execute(query("SetReportPlanner").sql)
        plan = conn.execute(
            "explain (analyze, buffers) " + query("ListUsage").sql, {"since": SINCE, "until": UNTIL}
        ).fetchall()
        conn.rollback()
    return "\n".join(line for (line,) in plan)


def timed(client: TestClient, headers: dict[str, str]) -> tuple[list[float], int]:
    params = {"since": SINCE.isoformat(), "until": UNTIL.isoformat()}
    timings, rows = [], 0
    client.get("/v1/reports/usage", params=params, headers=headers)  # warm-up: the first run reads from disk
    for _ in range(RUNS):
        started = time.perf_counter()
        r = client.get("/v1/reports/usage", params=params, headers=headers)
        timings.append((time.perf_counter() - started) * 1000)
        assert r.status_code == 200, r.text
        rows = len(r.json()["data"])
    return timings, rows


def bench(db: Db, quiet: TextIO) -> bool:
    with psycopg.connect(db.owner_dsn, autocommit=True) as owner:
        started = time.perf_counter()
        seed(owner)
        print(
            f"seeded {ITEMS} items x {LOCATIONS} locations, {ITEMS * LOCATIONS * (1 + STOCK_TAKES)} counts "
            f"in {time.perf_counter() - started:.1f} s"
        )
        row = owner.execute("select id::text from app_user").fetchone()
        assert row is not None
        user_id = row[0]
        token = Tokens(load_keys(Settings(jwt_keys=JWT_KEYS))).issue_access(user_id, "bench@example.test", "manager")
        headers = {"Authorization": f"Bearer {token}"}
        have, ok = 0, True
        for size in SIZES:
            started = time.perf_counter()
            grow(owner, have, size)
            have = size
            print(f"\n== {size:,} movements (loaded in {time.perf_counter() - started:.1f} s) ==")
            print(explain(db, user_id))
            app = create_app(settings_for(db))
            structlog.configure(logger_factory=structlog.PrintLoggerFactory(quiet))  # after create_app's own set-up
            with TestClient(app) as client:
                timings, rows = timed(client, headers)
            median = statistics.median(timings)
            print(
                f"GET /v1/reports/usage (30 days, {rows} rows): median {median:.0f} ms, "
                f"min {min(timings):.0f} ms, max {max(timings):.0f} ms over {RUNS} runs"
            )
            ok = ok and (size < SIZES[-1] or median < TARGET_MS)
    return ok


def main() -> int:
    with superuser_dsn() as dsn, open(os.devnull, "w") as quiet:
        cluster = Cluster(dsn)
        cluster.setup()
        try:
            ok = bench(cluster.clone(), quiet)
        finally:
            cluster.teardown()
    print("\ntarget met" if ok else f"\nTARGET MISSED: median above {TARGET_MS:.0f} ms at {SIZES[-1]:,} movements")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
