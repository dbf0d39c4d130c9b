"""`make bench-stock`: GET /v1/stock page latency at 10k and at 1M movements (issue 4's scale target).

Seeds 10k items x 12 locations (an opening count for every pair) and 10k movements, measures pages of
50 in-process (the app, its middleware and a real PostgreSQL; no network), then grows the ledger to
1M movements with generate_series as the schema owner, WITH the stock_level triggers on (one
statement per 100k rows, so the bulk load is also a test that they keep up), checks stock_level
against a full recompute from the ledger, and measures again.

Target: p95 < 25 ms per page at 1M movements, and less than 2x the 10k figure. Exits 1 if missed.
Runs on the embedded PostgreSQL unless NEUROPILOT_TEST_DSN names a superuser DSN (see tests/pg.py).
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any, TextIO

import psycopg
import structlog
from starlette.testclient import TestClient
from tests.pg import Cluster, Db, superuser_dsn

from neuropilot.app import create_app
from neuropilot.config import Settings
from neuropilot.tokens import Tokens, load_keys
from neuropilot.validation import encode_cursor

ITEMS, LOCATIONS, CATEGORIES = 10_000, 12, 20
FIRST_MOVEMENTS, ALL_MOVEMENTS, CHUNK = 10_000, 1_000_000, 100_000
REQUESTS_PER_KIND, WARM_UP = 60, 30
TARGET_P95_MS, TARGET_RATIO = 25.0, 2.0
JWT_KEYS = (("bench", "b" * 64),)

SEED = [
    """
    insert into location (code, name, temp_zone)
    select 'LOC-' || lpad(n::text, 2, '0'), 'Zone ' || n, (array['dry', 'cooler', 'freezer'])[1 + n %% 3]
    from generate_series(1, %(locations)s) as n
    """,
    # one item in 7 has a par level above what it holds, so below_min finds a few rows on every page
    """
    insert into item (item_number, name, unit, category, min_qty, max_qty, unit_cost)
    select 'ITEM-' || lpad(n::text, 5, '0'), 'Item ' || n, 'kg', 'cat-' || lpad((n %% %(categories)s)::text, 2, '0'),
        case when n %% 7 = 0 then 5000 else 5 end, 6000, round((random() * 20)::numeric, 4)
    from generate_series(1, %(items)s) as n
    """,
    """
    insert into inventory_count (item_id, location_id, qty_on_hand, counted_at)
    select i.id, l.id, round((random() * 100)::numeric, 3), timestamptz '2025-01-01 00:00:00+00'
    from item as i cross join location as l
    """,
    """
    insert into app_user (email, display_name, role, password_hash)
    values ('bench@example.test', 'Bench', 'viewer', 'no hash: this user only carries minted tokens')
    """,
]

# Random receipts and uses over all pairs, one second apart after the opening counts.
MOVEMENTS = """
with ids as (
    select (select array_agg(id order by item_number) from item) as items,
        (select array_agg(id order by code) from location) as locations
)
insert into movement (item_id, location_id, type, qty, created_at)
select ids.items[1 + floor(random() * %(items)s)::int], ids.locations[1 + floor(random() * %(locations)s)::int],
    case when r.receive then 'receive' else 'use' end,
    case when r.receive then r.qty else -r.qty end,
    timestamptz '2025-01-01 00:00:00+00' + (%(offset)s + g) * interval '1 second'
from ids, generate_series(1, %(n)s) as g,
    -- referring to g makes PostgreSQL draw new random numbers for every row
    lateral (select random() < 0.5 as receive, round((0.001 + random() * 10)::numeric, 3) as qty, g as row_number) as r
"""

MISMATCHES = """
with last_count as (
    select distinct on (item_id, location_id) item_id, location_id, qty_on_hand, counted_at
    from inventory_count order by item_id, location_id, counted_at desc, id desc
),
expected as (
    select c.item_id, c.location_id, c.qty_on_hand + coalesce(sum(m.qty), 0) as on_hand
    from last_count as c
    left join movement as m
        on m.item_id = c.item_id and m.location_id = c.location_id and m.created_at > c.counted_at
    group by c.item_id, c.location_id, c.qty_on_hand
)
select count(*) from expected as e
full join stock_level as s on s.item_id = e.item_id and s.location_id = e.location_id
where s.on_hand is distinct from e.on_hand
"""


def seed(owner: psycopg.Connection) -> None:
    for statement in SEED:
        owner.execute(statement, {"items": ITEMS, "locations": LOCATIONS, "categories": CATEGORIES})
    add_movements(owner, 0, FIRST_MOVEMENTS)


def add_movements(owner: psycopg.Connection, have: int, want: int) -> float:
    started = time.perf_counter()
    while have < want:
        n = min(CHUNK, want - have)
        owner.execute(MOVEMENTS, {"items": ITEMS, "locations": LOCATIONS, "offset": have, "n": n})
        have += n
    owner.execute("vacuum analyze")
    return time.perf_counter() - started


def scalar(conn: psycopg.Connection, query: str) -> Any:
    row = conn.execute(query).fetchone()
    assert row is not None
    return row[0]


class Urls:
    """Page URLs of the kinds a kitchen's screens ask for, starting at random places in the list."""

    def __init__(self, owner: psycopg.Connection, rng: random.Random) -> None:
        self.rng = rng
        self.items = [r[0] for r in owner.execute("select id::text from item order by item_number")]
        self.numbers = [r[0] for r in owner.execute("select item_number from item order by item_number")]
        self.locations = [r[0] for r in owner.execute("select id::text, code from location order by code")]
        self.codes = [r[0] for r in owner.execute("select code from location order by code")]

    def cursor(self) -> str:
        return encode_cursor([self.rng.choice(self.numbers), self.rng.choice(self.codes)])

    def kinds(self) -> dict[str, Callable[[], str]]:
        return {
            "first page": lambda: "/v1/stock?limit=50",
            "deep page": lambda: f"/v1/stock?limit=50&cursor={self.cursor()}",
            "location": lambda: (
                f"/v1/stock?limit=50&location_id={self.rng.choice(self.locations)}&cursor={self.cursor()}"
            ),
            "category": lambda: f"/v1/stock?limit=50&category=cat-{self.rng.randrange(CATEGORIES):02d}",
            "item": lambda: f"/v1/stock?limit=50&item_id={self.rng.choice(self.items)}",
            "below_min": lambda: f"/v1/stock?limit=50&below_min=true&cursor={self.cursor()}",
        }


def measure(client: TestClient, headers: dict[str, str], urls: Urls) -> dict[str, list[float]]:
    """Milliseconds per request by kind; each kind also follows next_cursor for a few pages."""
    timings: dict[str, list[float]] = defaultdict(list)
    kinds = urls.kinds()
    for n in range(WARM_UP + REQUESTS_PER_KIND):
        for kind, make in kinds.items():
            url: str | None = make()
            for _ in range(3 if n % 4 == 0 else 1):  # now and then walk on from the page just read
                if url is None:
                    break
                started = time.perf_counter()
                r = client.get(url, headers=headers)
                elapsed = (time.perf_counter() - started) * 1000
                assert r.status_code == 200, r.text
                if n >= WARM_UP:
                    timings[kind].append(elapsed)
                cursor = r.json()["next_cursor"]
                url = f"{url.split('&cursor=')[0]}&cursor={cursor}" if cursor else None
    return timings


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def report(label: str, timings: dict[str, list[float]]) -> float:
    every = [t for ts in timings.values() for t in ts]
    print(f"\n{label}: {len(every)} requests, p50 {p(every, 50):.2f} ms, p95 {p(every, 95):.2f} ms")
    for kind, ts in timings.items():
        print(f"  {kind:<11} n={len(ts):<4} p50 {p(ts, 50):6.2f} ms  p95 {p(ts, 95):6.2f} ms  max {max(ts):6.2f} ms")
    return p(every, 95)


def settings_for(db: Db) -> Settings:
    return Settings(
        database_url=db.app_dsn,
        migrator_database_url=db.owner_dsn,
        app_role=db.app_role,
        jwt_keys=JWT_KEYS,
        rate_limit_ip_per_min=10**9,
        rate_limit_user_per_min=10**9,
    )


def bench(db: Db, quiet: TextIO) -> bool:
    with psycopg.connect(db.owner_dsn, autocommit=True) as owner:
        started = time.perf_counter()
        seed(owner)
        seconds = time.perf_counter() - started
        print(f"seeded {ITEMS} items x {LOCATIONS} locations, {FIRST_MOVEMENTS} movements in {seconds:.1f} s")
        user_id = scalar(owner, "select id::text from app_user")
        token = Tokens(load_keys(Settings(jwt_keys=JWT_KEYS))).issue_access(user_id, "bench@example.test", "viewer")
        headers = {"Authorization": f"Bearer {token}"}
        urls = Urls(owner, random.Random(4))  # noqa: S311 - which page to ask for, not a secret
        app = create_app(settings_for(db))
        structlog.configure(logger_factory=structlog.PrintLoggerFactory(quiet))  # the log lines are still made
        with TestClient(app) as client:
            small = report(f"{FIRST_MOVEMENTS} movements", measure(client, headers, urls))
            loaded = add_movements(owner, FIRST_MOVEMENTS, ALL_MOVEMENTS)
            rate = (ALL_MOVEMENTS - FIRST_MOVEMENTS) / loaded
            print(
                f"\ngrew to {scalar(owner, 'select count(*) from movement')} movements in {loaded:.1f} s "
                f"({rate:,.0f} rows/s) with the stock_level triggers on"
            )
            mismatches = scalar(owner, MISMATCHES)
            print(f"stock_level rows that differ from a full recompute of the ledger: {mismatches}")
            large = report(f"{ALL_MOVEMENTS} movements", measure(client, headers, urls))
    ratio = large / small
    ok = mismatches == 0 and large < TARGET_P95_MS and ratio < TARGET_RATIO
    print(
        f"\np95 per page: {small:.2f} ms at {FIRST_MOVEMENTS} movements, {large:.2f} ms at {ALL_MOVEMENTS}; "
        f"ratio {ratio:.2f} (target: < {TARGET_P95_MS:.0f} ms and < {TARGET_RATIO:.0f}x) -> {'PASS' if ok else 'MISS'}"
    )
    return ok


def main() -> int:
    with superuser_dsn() as dsn:
        cluster = Cluster(dsn)
        cluster.setup()
        try:
            with open(os.devnull, "w") as quiet:
                return 0 if bench(cluster.clone(), quiet) else 1
        finally:
            cluster.teardown()


if __name__ == "__main__":
    sys.exit(main())
