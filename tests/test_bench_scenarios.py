"""`make bench`'s issue-16 rows (bench/scenarios.py): the pgbench scripts are the handlers' own queries,
and each one runs as the app role under RLS and does what the request does."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import psycopg
import pytest

from bench import scenarios
from tests.pg import Db

SCRIPTS = Path(scenarios.__file__).parent / "pgbench"


@pytest.mark.parametrize("workload", sorted(scenarios.SCRIPTS))
def test_the_committed_pgbench_script_is_generated_from_the_queries(workload: str) -> None:
    assert (SCRIPTS / f"{workload}.sql").read_text() == scenarios.render(workload), "run python -m bench.scenarios"


def run_script(db: Db, workload: str, variables: dict[str, str]) -> list[list[tuple[Any, ...]]]:
    """The script's statements in order as the app role, its pgbench variables replaced by the
    given SQL literals (pgbench -M prepared binds them as parameters); each statement's rows."""
    lines = (SCRIPTS / f"{workload}.sql").read_text().splitlines()
    statements = [line for line in lines if line and not line.startswith(("--", "\\set"))]
    declared = {m[1] for line in lines if (m := re.match(r"\\set (\w+) ", line))}
    assert declared <= set(variables), declared
    out = []
    with psycopg.connect(db.app_dsn, autocommit=True) as conn:
        for statement in statements:
            bound = re.sub(r"(?<!:):(\w+)", lambda m: variables[m[1]], statement)
            cur = conn.execute(bound.encode())
            out.append(cur.fetchall() if cur.description else [])
    return out


def seed_kitchen(owner: psycopg.Connection) -> None:
    """bench/seed.sql's id scheme, small: the seed's manager and viewer, 4 locations, 600 items."""
    owner.execute(
        "insert into app_user (id, email, display_name, role, password_hash) values"
        " ('00000000-0000-4000-8000-000000000002', 'm@bench.test', 'M', 'manager', '!'),"
        " ('00000000-0000-4000-8000-000000000004', 'v@bench.test', 'V', 'viewer', '!')"
    )
    owner.execute(
        "insert into location (id, code, name, temp_zone) select md5('loc-' || n)::uuid,"
        " 'LOC-' || lpad(n::text, 2, '0'), 'Zone ' || n, 'dry' from generate_series(1, 4) as n"
    )
    owner.execute(
        "insert into item (id, item_number, name, unit, category, min_qty, max_qty, unit_cost)"
        " select md5('item-' || n)::uuid, 'ITM-' || lpad(n::text, 6, '0'), 'Item ' || n, 'kg', 'cat-01',"
        " case when n = 3 then 10 else 0 end, 20, 1 from generate_series(1, 600) as n"
    )


def test_the_count_script_records_the_line_as_the_counter(database: Db, owner: psycopg.Connection) -> None:
    seed_kitchen(owner)
    owner.execute(scenarios.COUNT_SESSION_SEED.encode())
    results = run_script(database, "count", {"k": "7", "u": "6", "q": "12345"})
    # line 7 is item 7 at location 1 + 6 % 4 = 3; counter ...0006 is the second of the four
    ((line,),) = results  # one statement: the line as the PUT returns it, not refused
    assert (line[0], line[1], str(line[11])) == (None, "open", "12.345")
    line_row = owner.execute(
        "select counted_qty::text, counted_by::text from count_session_line"
        " where item_id = md5('item-7')::uuid and location_id = md5('loc-3')::uuid"
    ).fetchone()
    assert line_row == ("12.345", scenarios.COUNTERS[1])
    assert str(line[2]) == owner.execute("select md5('item-7')::uuid::text").fetchone()[0]  # type: ignore[index]
    audit = owner.execute(
        "select actor_id::text, details ->> 'counted_qty' from audit_log where action = 'count_session.line'"
    ).fetchall()
    assert audit == [(scenarios.COUNTERS[1], "12.345")]
    assert owner.execute("select count(*) from count_session_line").fetchone() == (scenarios.LINES,)


def test_the_stock_script_lists_the_first_page_of_the_location(database: Db, owner: psycopg.Connection) -> None:
    seed_kitchen(owner)
    owner.execute(
        "insert into inventory_count (item_id, location_id, qty_on_hand) select md5('item-' || n)::uuid,"
        " md5('loc-' || (1 + n % 2))::uuid, n from generate_series(1, 200) as n"
    )
    (pages,) = run_script(database, "stock", {"lid": "2"})  # one statement
    assert len(pages) == 51  # limit 50 + 1, as the handler asks
    numbers = [row[1] for row in pages]
    assert numbers == sorted(numbers) == [f"ITM-{n:06d}" for n in range(1, 102, 2)]
    assert {row[6] for row in pages} == {"LOC-02"}


def test_the_order_script_suggests_what_the_rule_says(database: Db, owner: psycopg.Connection) -> None:
    seed_kitchen(owner)  # item 3 has min_qty 10 and no stock: the one line
    manager = "'00000000-0000-4000-8000-000000000002'"
    ((data,),) = run_script(database, "order", {"manager": manager})[3]
    lines = json.loads(data)
    got = [(line["item_number"], line["need"], line["order_qty"]) for line in lines]
    assert got == [("ITM-000003", "20.000", "20.000")]
