"""`make bench`'s rows beyond issue 7's read and write (issue 16): the count burst, the stock page and
the suggested order, each with its own pgbench ceiling (no peer serves them).

* **count**: `PUT /v1/count-sessions/{id}/lines` from 4 counters (4 users, 4 tokens) over one open
  600-line session (4 locations x 150 items), each request a random line and a new quantity; target
  p99 < 50 ms at the bench's concurrency.
* **stock**: `GET /v1/stock?location_id=…` (first page, 50 rows) as the viewer, a random location.
* **order**: `GET /v1/reports/suggested-order` as a manager, on a database of its own seeded by
  bench/ordering.py (10k items, 3 suppliers, 1M movements through the triggers; the weekly order),
  since the main seed has neither suppliers nor 1M movements.

The pgbench scripts (bench/pgbench/{count,stock,order}.sql) are generated from sql/queries by
`python -m bench.scenarios` (tests/bench/test_scenarios.py fails when they drift from the queries):
the same statements the handler sends, in the same transaction, as the app role under RLS.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from neuropilot.queries import query

HERE = Path(__file__).resolve().parent
SESSION_ID = "00000000-0000-4000-8000-00000000c0de"
# The count burst's four counters (the seed's own four users are ...0001 to ...0004).
COUNTERS = tuple(f"00000000-0000-4000-8000-{n:012d}" for n in range(5, 9))
SESSION_LOCATIONS, LINES_PER_LOCATION = 4, 150
LINES = SESSION_LOCATIONS * LINES_PER_LOCATION
ORDER_DATABASE = "neuropilot_bench_order"
COUNT_TARGET_P99_MS = 50.0

# bench/seed.sql's ids: item n is md5('item-' || n), location n md5('loc-' || n). Line k (1..600) of
# the session is item k at location 1 + (k - 1) % 4; seq is the walking order (location, then item).
COUNT_SESSION_SEED = f"""
insert into app_user (id, email, display_name, role, password_hash)
select ('00000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid, 'counter' || n || '@bench.test',
    'Bench Counter ' || n, 'counter', '!'
from generate_series(5, 8) as n;
insert into count_session (id, created_by, started_at)
values ('{SESSION_ID}', '00000000-0000-4000-8000-000000000002', now() - interval '1 hour');
insert into count_session_location (session_id, location_id, ordinal)
select '{SESSION_ID}', md5('loc-' || j)::uuid, j from generate_series(1, {SESSION_LOCATIONS}) as j;
insert into count_session_line (session_id, location_id, item_id, seq, position)
select '{SESSION_ID}', md5('loc-' || (1 + (k - 1) % {SESSION_LOCATIONS}))::uuid, md5('item-' || k)::uuid,
    ((k - 1) % {SESSION_LOCATIONS}) * {LINES_PER_LOCATION} + 1 + (k - 1) / {SESSION_LOCATIONS},
    1 + (k - 1) / {SESSION_LOCATIONS}
from generate_series(1, {LINES}) as k;
"""


@dataclass(frozen=True)
class Step:
    """One statement of a request's transaction: a named query with pgbench expressions for its
    parameters, or a literal statement (BEGIN, COMMIT)."""

    sql: str
    params: dict[str, str]


def _q(name: str, **params: str) -> Step:
    return Step(query(name).sql, params)


def _lit(text: str) -> Step:
    return Step(text, {})


def _context(user: str, role: str) -> Step:
    return _q("SetRequestContext", user_id=user, role=f"'{role}'", statement_timeout="'5000'")


# What each handler sends, statement by statement (db.Database.transaction: BEGIN [READ ONLY],
# SetRequestContext, the handler's queries, COMMIT). psycopg binds None as an untyped NULL; the
# queries cast every optional parameter, so a literal null is the same value.
LINE = {
    "session_id": f"'{SESSION_ID}'",
    "item_id": "md5('item-' || :k)::uuid",
    "location_id": f"md5('loc-' || (1 + (:k - 1) % {SESSION_LOCATIONS}))::uuid",
}
QTY = "round(:q::numeric / 1000, 3)"
SCRIPTS: dict[str, tuple[str, list[str], list[Step]]] = {
    "count": (
        "PUT /v1/count-sessions/{id}/lines (counting/lines.py record_session_line) as one of the four\n"
        "counters (bench/scenarios.py COUNTERS), a random line k of the 600 and a random quantity",
        [f"\\set k random(1, {LINES})", "\\set u random(5, 8)", "\\set q random(0, 500000)"],
        [  # one autocommit statement, as db.Database.statement sends it (the API's sessions carry statement_timeout)
            _q(
                "RecordCountLineAs",
                user_id="'00000000-0000-4000-8000-' || lpad(:u::text, 12, '0')",
                role="'counter'",
                **LINE,
                qty=QTY,
                breakdown="null",
                counted_at="null",
                details=(
                    f"jsonb_build_object('item_id', {LINE['item_id']}, 'location_id', {LINE['location_id']}, "
                    f"'qty_on_hand', {QTY}::text, 'breakdown', null, 'counted_at', null, 'counted_qty', {QTY}::text)"
                ),
                ip="'127.0.0.1'",
                user_agent="null",
            ),
        ],
    ),
    "stock": (
        "GET /v1/stock?location_id=<location n> (stock.py list_stock, the first page: limit 50 + 1) as\n"
        "the viewer, n random of the 12",
        ["\\set lid random(1, 12)"],
        [  # one autocommit statement (list_stock_as sets the caller and the planner settings)
            _q(
                "ListStock",
                user_id="'00000000-0000-4000-8000-000000000004'",
                role="'viewer'",
                after_number="null",
                after_code="null",
                location_id="md5('loc-' || :lid)::uuid",
                item_id="null",
                category="null",
                below_min="null",
                limit="51",
            ),
        ],
    ),
    "order": (
        "GET /v1/reports/suggested-order (ordering.py suggested_order, all suppliers) as the manager\n"
        "bench/ordering.py seeds (its id passed with -D manager=…), with ordering.HASHED",
        [],
        [
            _lit("begin read only"),
            _context(":manager", "manager"),
            _q("SetReadPlanner", enable_sort="'off'", enable_nestloop="'off'"),
            _q("ListSuggestedOrder", supplier_id="null"),
            _lit("commit"),
        ],
    ),
}
# Each new row's concurrency: the count burst and the stock page run at the bench's (-c64, pgbench -c16);
# the suggested order is a manager's report, a few at a time (at 64 connections a ~100 ms answer
# would only measure the queue: p50 = 64 / req/s).
ORDER_CONNS = 4

Call = Callable[[str, str, "str | None", "dict[str, Any] | None"], "tuple[int, Any]"]
Add = Callable[[str, bool, str], None]


def count_lines(owner_dsn: str) -> list[tuple[str, str]]:
    """The session's (location, item) lines in walking order."""
    with psycopg.connect(owner_dsn) as conn:
        rows = conn.execute(
            "select location_id::text, item_id::text from count_session_line where session_id = %s order by seq",
            (SESSION_ID,),
        ).fetchall()
    return [(str(location), str(item)) for location, item in rows]


def count_checks(call: Call, counters: list[str], viewer: str, lines: list[tuple[str, str]], add: Add) -> None:
    """The PUT's effect is visible to another counter; a viewer may not PUT."""
    add(f"count: the session has {LINES} lines", len(lines) == LINES, str(len(lines)))
    location, item = lines[0]
    path = f"/v1/count-sessions/{SESSION_ID}/lines"
    body = {"item_id": item, "location_id": location, "qty_on_hand": "12.345"}
    status, data = call("PUT", path, counters[0], body)
    got = (status, data.get("counted_qty"), data.get("counted_by")) if isinstance(data, dict) else (status,)
    add("count: PUT a line as counter 1 -> 200, counted 12.345 by counter 1", got == (200, "12.345", COUNTERS[0]),
        str(got))  # fmt: skip
    status, data = call("GET", f"{path}?location_id={location}&limit=1", counters[1], None)
    rows = data.get("data") if isinstance(data, dict) else None
    seen = (status, rows[0].get("item_id"), rows[0].get("counted_qty")) if rows else (status,)
    add("count: counter 2 then reads that line as counted 12.345", seen == (200, item, "12.345"), str(seen))
    status, _ = call("PUT", path, viewer, body)
    add("count: PUT a line as viewer -> 403", status == 403, str(status))


def stock_checks(call: Call, viewer: str, owner_dsn: str, location: str, add: Add) -> None:
    """The first stock page of a location holds exactly its first 50 stock_level rows by item_number."""
    with psycopg.connect(owner_dsn) as conn:
        want = [
            r[0]
            for r in conn.execute(
                "select i.item_number from stock_level as s inner join item as i on s.item_id = i.id"
                " where s.location_id = %s order by i.item_number limit 50",
                (location,),
            )
        ]
    status, data = call("GET", f"/v1/stock?limit=50&location_id={location}", viewer, None)
    rows = data.get("data") if isinstance(data, dict) else []
    got = [r["item_number"] for r in rows or [] if r.get("location_id") == location]
    ok = (status, got) == (200, want) and len(want) == 50
    add("stock: GET /v1/stock?location_id= as viewer -> 200, the location's first 50 rows", ok,
        f"{status}, {len(got)} of {len(want)} rows match")  # fmt: skip


# The weekly order's size from the ledger itself (ordering's data: one count per pair on 2025-01-01,
# every movement after it), not from stock_level: the suggestion must agree with it.
ORDER_EXPECTED = """
with ledger as (
    select item_id, sum(q) as q from (
        select item_id, qty_on_hand as q from inventory_count
        union all
        select item_id, qty from movement
    ) as x group by item_id
),
coming as (
    select l.item_id, sum((l.req_qty - l.received_qty) * coalesce(p.qty, 1)) as q
    from purchase_order as o
    inner join purchase_order_line as l on o.id = l.order_id
    left join item_pack as p on l.pack_id = p.id
    where o.status = 'submitted' group by l.item_id
)
select count(*) from item as i
left join ledger as h on i.id = h.item_id
left join coming as c on i.id = c.item_id
where i.active and coalesce(h.q, 0) + coalesce(c.q, 0) < i.min_qty
"""


def seed_order_database(owner_dsn: str, say: Callable[[str], None]) -> tuple[str, int]:
    """bench/ordering.py's data set (1M movements through the triggers), then its weekly order; the
    manager's id and how many lines the order must have."""
    from bench.ordering import WEEKLY, seed

    started = time.monotonic()
    with psycopg.connect(owner_dsn, autocommit=True) as owner:
        seed(owner)
        owner.execute(WEEKLY, {})
        owner.execute("vacuum (freeze, analyze)")
        manager = owner.execute("select id::text from app_user where role = 'manager'").fetchone()
        expected = owner.execute(ORDER_EXPECTED).fetchone()
    assert manager is not None and expected is not None
    say(f"order database seeded (bench/ordering.py: 10k items, 1M movements) in {time.monotonic() - started:.0f} s")
    return str(manager[0]), int(expected[0])


def order_checks(call: Call, manager: str, viewer: str, expected: int, add: Add) -> None:
    status, data = call("GET", "/v1/reports/suggested-order", manager, None)
    rows = data.get("data") if isinstance(data, dict) else None
    n = len(rows) if isinstance(rows, list) else -1
    add(f"order: GET /v1/reports/suggested-order as manager -> 200 with the ledger's {expected} lines",
        (status, n) == (200, expected) and expected > 0, f"{status}, {n}")  # fmt: skip
    status, _ = call("GET", "/v1/reports/suggested-order", viewer, None)
    add("order: GET /v1/reports/suggested-order as viewer -> 403", status == 403, str(status))


PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def render(workload: str) -> str:
    """The pgbench script of a workload: its named queries with pgbench expressions bound, comments
    dropped, one statement per line (pgbench ends a command at the semicolon)."""
    about, sets, steps = SCRIPTS[workload]
    out = [f"-- pgbench script (generated by `python -m bench.scenarios`; do not edit): what {about.split(chr(10))[0]}"]
    out += [f"-- {line}" for line in about.split("\n")[1:]]
    out.append(
        "-- runs, statement for statement (BEGIN ... COMMIT, or one autocommit statement), as the app role (RLS applies)."
    )
    out += sets
    for step in steps:

        def bind(match: re.Match[str], step: Step = step) -> str:
            return f"({step.params[match[1]]})"

        lines = [line.split(" --")[0].rstrip() for line in step.sql.splitlines() if not line.lstrip().startswith("--")]
        text = " ".join(line.strip() for line in lines if line.strip())
        out.append(PLACEHOLDER.sub(bind, text).replace("%%", "%") + ";")
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for workload in SCRIPTS:
        path = HERE / "pgbench" / f"{workload}.sql"
        text = render(workload)
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(str(path))
        else:
            path.write_text(text)
    if stale:
        print("stale (run python -m bench.scenarios): " + ", ".join(stale), file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
