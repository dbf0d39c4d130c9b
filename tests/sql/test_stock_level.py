"""stock_level, the derived on-hand table (sql/schema/0006_stock_level.sql), tested in SQL as the app role.

It must always equal the ledger: on-hand = the last count (latest counted_at, then greatest id) + the
movements after it (a movement at the count's exact time is before it); with no count, all movements.
Each check compares the table with a plain SQL recompute over the ledger and, for the random ledgers,
with a plain-Python model too.
"""

from __future__ import annotations

import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neuropilot.config import sql_dir
from neuropilot.migrate import migrate
from tests.pg import Cluster, Db

USER_IDS = {
    role: uuid.UUID(f"00000000-0000-4000-8000-0000000001{n:02d}")
    for n, role in enumerate(("admin", "manager", "counter", "viewer"))
}
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SET_CONTEXT = "select set_config('app.user_id', %s, true), set_config('app.role', %s, true)"
Pair = tuple[uuid.UUID, uuid.UUID]

# The rule, written once more as a plain query over the ledger (not the rebuild function's text).
RECOMPUTE = """
select p.item_id, p.location_id,
    coalesce(c.qty_on_hand, 0) + coalesce((
        select sum(m.qty) from movement m
        where m.item_id = p.item_id and m.location_id = p.location_id
          and (c.counted_at is null or m.created_at > c.counted_at)
    ), 0) as on_hand
from (
    select item_id, location_id from movement union select item_id, location_id from inventory_count
) p
left join lateral (
    select counted_at, qty_on_hand from inventory_count c
    where c.item_id = p.item_id and c.location_id = p.location_id
    order by counted_at desc, id desc limit 1
) c on true
where p.item_id = any(%s)
"""


def seed(owner: psycopg.Connection) -> None:
    """One user per role, as the owner (tests/sql/conftest.py runs it once per module)."""
    for role, user_id in USER_IDS.items():
        owner.execute(
            "insert into app_user (id, email, display_name, role, password_hash) values (%s, %s, %s, %s, 'x')",
            (user_id, f"{role}@example.test", role.title(), role),
        )


def new_item(owner: psycopg.Connection) -> uuid.UUID:
    number = f"IT-{uuid.uuid4().hex[:12]}"
    row = owner.execute(
        "insert into item (item_number, name, unit) values (%s, %s, 'kg') returning id", (number, number)
    )
    return row.fetchone()[0]  # type: ignore[index]


def new_location(owner: psycopg.Connection) -> uuid.UUID:
    code = f"L-{uuid.uuid4().hex[:12]}"
    row = owner.execute(
        "insert into location (code, name, temp_zone) values (%s, %s, 'dry') returning id", (code, code)
    )
    return row.fetchone()[0]  # type: ignore[index]


@contextmanager
def request(db: Db, role: str = "manager") -> Iterator[psycopg.Connection]:
    """One app-role transaction set up as the API sets one up; committed on a clean exit."""
    with psycopg.connect(db.app_dsn) as conn:
        conn.execute(SET_CONTEXT, (str(USER_IDS[role]), role))
        yield conn


def count(
    conn: psycopg.Connection, item: uuid.UUID, loc: uuid.UUID, qty: str | Decimal, at: datetime | None = None
) -> tuple[uuid.UUID, datetime]:
    row = conn.execute(
        "insert into inventory_count (item_id, location_id, counted_by, qty_on_hand, counted_at)"
        " values (%s, %s, current_app_user_id(), %s, coalesce(%s, now())) returning id, counted_at",
        (item, loc, Decimal(qty), at),
    ).fetchone()
    assert row is not None
    return row[0], row[1]


def move(
    conn: psycopg.Connection, item: uuid.UUID, loc: uuid.UUID, kind: str, qty: str | Decimal, at: datetime | None = None
) -> datetime:
    row = conn.execute(
        "insert into movement (item_id, location_id, type, qty, created_by, created_at)"
        " values (%s, %s, %s, %s, current_app_user_id(), coalesce(%s, now())) returning created_at",
        (item, loc, kind, Decimal(qty), at),
    ).fetchone()
    assert row is not None
    return row[0]  # type: ignore[no-any-return]


def transfer(
    conn: psycopg.Connection, item: uuid.UUID, src: uuid.UUID, dst: uuid.UUID, qty: Decimal, at: datetime | None
) -> datetime:
    """Two rows in one statement, as the API writes a transfer."""
    row = conn.execute(
        "insert into movement (item_id, location_id, type, qty, created_by, created_at)"
        " values (%(item)s, %(src)s, 'transfer', -%(qty)s::numeric, current_app_user_id(), coalesce(%(at)s, now())),"
        " (%(item)s, %(dst)s, 'transfer', %(qty)s, current_app_user_id(), coalesce(%(at)s, now()))"
        " returning created_at",
        {"item": item, "src": src, "dst": dst, "qty": qty, "at": at},
    ).fetchone()
    assert row is not None
    return row[0]  # type: ignore[no-any-return]


def stored(conn: psycopg.Connection, items: list[uuid.UUID]) -> dict[Pair, Decimal]:
    rows = conn.execute("select item_id, location_id, on_hand from stock_level where item_id = any(%s)", (items,))
    return {(r[0], r[1]): r[2] for r in rows}


def recomputed(conn: psycopg.Connection, items: list[uuid.UUID]) -> dict[Pair, Decimal]:
    return {(r[0], r[1]): r[2] for r in conn.execute(RECOMPUTE, (items,))}


def on_hand(conn: psycopg.Connection, item: uuid.UUID, loc: uuid.UUID) -> Decimal | None:
    return stored(conn, [item]).get((item, loc))


def assert_matches_ledger(owner: psycopg.Connection, items: list[uuid.UUID]) -> dict[Pair, Decimal]:
    table = stored(owner, items)
    assert table == recomputed(owner, items)
    return table


@pytest.fixture
def pair(owner: psycopg.Connection) -> Pair:
    return new_item(owner), new_location(owner)


# --- the rule, case by case --------------------------------------------------------------------------------


def test_movements_without_a_count_add_up(db: Db, owner: psycopg.Connection, pair: Pair) -> None:
    item, loc = pair
    with request(db) as conn:
        move(conn, item, loc, "receive", "5")
        move(conn, item, loc, "use", "-2.5")
        move(conn, item, loc, "adjust", "0.001")
    row = owner.execute(
        "select on_hand, last_count_at, last_count_qty, last_count_id from stock_level where item_id = %s", (item,)
    ).fetchone()
    assert row == (Decimal("2.501"), None, None, None)
    assert_matches_ledger(owner, [item])


def test_count_sets_on_hand_and_only_later_movements_add(db: Db, owner: psycopg.Connection, pair: Pair) -> None:
    item, loc = pair
    with request(db, "counter") as conn:
        count_id, _ = count(conn, item, loc, "10", T0)
    with request(db) as conn:
        move(conn, item, loc, "receive", "3", T0 + timedelta(seconds=1))
        move(conn, item, loc, "use", "-100", T0 - timedelta(seconds=1))  # before the count: already inside it
    row = owner.execute(
        "select on_hand, last_count_at, last_count_qty, last_count_id from stock_level where item_id = %s", (item,)
    ).fetchone()
    assert row == (Decimal("13.000"), T0, Decimal("10.000"), count_id)
    assert_matches_ledger(owner, [item])


def test_movement_at_the_counts_exact_time_is_before_the_count(db: Db, owner: psycopg.Connection, pair: Pair) -> None:
    item, loc = pair
    with request(db) as conn:
        move(conn, item, loc, "receive", "4", T0)
        count(conn, item, loc, "10", T0)
        move(conn, item, loc, "receive", "7", T0)  # inserted after the count, still at its time: before it
    assert on_hand(owner, item, loc) == Decimal("10.000")
    assert_matches_ledger(owner, [item])


def test_count_and_movement_in_one_transaction_leave_the_count(db: Db, owner: psycopg.Connection, pair: Pair) -> None:
    """Both default to the transaction's now(): the tie rule puts the movement before the count."""
    item, loc = pair
    with request(db) as conn:
        count(conn, item, loc, "8")
        move(conn, item, loc, "receive", "2")
    assert on_hand(owner, item, loc) == Decimal("8.000")
    assert_matches_ledger(owner, [item])


def test_backdated_count_changes_nothing(db: Db, owner: psycopg.Connection, pair: Pair) -> None:
    item, loc = pair
    with request(db) as conn:
        count(conn, item, loc, "10", T0 + timedelta(hours=1))
        move(conn, item, loc, "receive", "1", T0 + timedelta(hours=2))
    with request(db) as conn:
        count(conn, item, loc, "99", T0)
    row = owner.execute("select on_hand, last_count_at from stock_level where item_id = %s", (item,)).fetchone()
    assert row == (Decimal("11.000"), T0 + timedelta(hours=1))
    assert_matches_ledger(owner, [item])


def test_late_entered_newer_count_keeps_the_movements_after_it(db: Db, owner: psycopg.Connection, pair: Pair) -> None:
    item, loc = pair
    with request(db) as conn:
        move(conn, item, loc, "receive", "5", T0)
        move(conn, item, loc, "receive", "2", T0 + timedelta(minutes=10))
    with request(db) as conn:
        count(conn, item, loc, "3", T0 + timedelta(minutes=5))  # entered later, taken in between
    assert on_hand(owner, item, loc) == Decimal("5.000")
    assert_matches_ledger(owner, [item])


@pytest.mark.parametrize("greater_first", [False, True], ids=["greater-id-last", "greater-id-first"])
def test_counts_at_the_same_time_the_greater_id_wins(db: Db, owner: psycopg.Connection, greater_first: bool) -> None:
    item, loc = new_item(owner), new_location(owner)
    low, high = sorted([uuid.uuid4(), uuid.uuid4()])
    insert = (
        "insert into inventory_count (id, item_id, location_id, counted_by, qty_on_hand, counted_at)"
        " values (%s, %s, %s, current_app_user_id(), %s, %s)"
    )
    for count_id in (high, low) if greater_first else (low, high):
        with request(db, "counter") as conn:
            conn.execute(insert, (count_id, item, loc, 2 if count_id == high else 1, T0))
    row = owner.execute("select last_count_id, on_hand from stock_level where item_id = %s", (item,)).fetchone()
    assert row == (high, Decimal("2.000"))
    assert_matches_ledger(owner, [item])


def test_transfer_moves_stock_between_locations(db: Db, owner: psycopg.Connection) -> None:
    item, src, dst = new_item(owner), new_location(owner), new_location(owner)
    with request(db) as conn:
        count(conn, item, src, "10", T0)
        transfer(conn, item, src, dst, Decimal("2.250"), T0 + timedelta(seconds=1))
    assert assert_matches_ledger(owner, [item]) == {(item, src): Decimal("7.750"), (item, dst): Decimal("2.250")}


def test_extreme_decimals_are_exact(db: Db, owner: psycopg.Connection, pair: Pair) -> None:
    item, loc = pair
    with request(db) as conn:
        count(conn, item, loc, "99999999999.998", T0)
        move(conn, item, loc, "adjust", "0.001", T0 + timedelta(seconds=1))
    assert str(on_hand(owner, item, loc)) == "99999999999.999"


# --- nobody writes it directly -----------------------------------------------------------------------------

WRITES = {
    "insert": "insert into stock_level (item_id, location_id, on_hand) values (%(item)s, %(loc)s, 1)",
    "update": "update stock_level set on_hand = on_hand + 1",
    "delete": "delete from stock_level",
    "truncate": "truncate stock_level",
    "rebuild": "select rebuild_stock_level()",
    "movement trigger function": "select stock_level_after_movement()",
    "count trigger function": "select stock_level_after_count()",
}


@pytest.mark.parametrize("role", USER_IDS)
@pytest.mark.parametrize("statement", WRITES.values(), ids=WRITES.keys())
def test_app_role_cannot_write_stock_level(db: Db, owner: psycopg.Connection, role: str, statement: str) -> None:
    item, loc = new_item(owner), new_location(owner)
    with request(db) as conn:
        move(conn, item, loc, "receive", "1")
    other = new_location(owner)
    with request(db, role) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(statement, {"item": item, "loc": other})
    assert on_hand(owner, item, loc) == Decimal("1.000")


def test_every_role_reads_it(db: Db, owner: psycopg.Connection, pair: Pair) -> None:
    item, loc = pair
    with request(db) as conn:
        move(conn, item, loc, "receive", "1")
    for role in USER_IDS:
        with request(db, role) as conn:
            assert on_hand(conn, item, loc) == Decimal("1.000"), role
    with psycopg.connect(db.app_dsn) as conn:
        assert on_hand(conn, item, loc) is None  # no settings: nothing


# --- rebuilding and backfilling ----------------------------------------------------------------------------


def test_rebuild_recomputes_the_table_from_the_ledger(db: Db, owner: psycopg.Connection) -> None:
    item, loc_a, loc_b = new_item(owner), new_location(owner), new_location(owner)
    with request(db) as conn:
        count(conn, item, loc_a, "4", T0)
        move(conn, item, loc_a, "receive", "1", T0 + timedelta(seconds=5))
        move(conn, item, loc_b, "adjust", "-2")
    before = assert_matches_ledger(owner, [item])
    owner.execute(
        "update stock_level set on_hand = 0, last_count_at = null, last_count_qty = null, last_count_id = null"
    )
    rows = owner.execute("select rebuild_stock_level()").fetchone()
    assert rows is not None and rows[0] >= 2
    assert assert_matches_ledger(owner, [item]) == before
    counted = owner.execute(
        "select last_count_qty from stock_level where item_id = %s and location_id = %s", (item, loc_a)
    )
    assert counted.fetchone() == (Decimal("4.000"),)


def test_migration_backfills_a_database_that_already_has_a_ledger(cluster: Cluster, tmp_path: Path) -> None:
    before = tmp_path / "sql"
    shutil.copytree(sql_dir(), before)
    (before / "schema" / "0006_stock_level.sql").unlink()  # the database as it was before stock_level
    (before / "policies" / "stock_level.sql").unlink()
    name = cluster.new_name()
    cluster.create_empty(name)
    db = cluster.describe(name)
    try:
        migrate(db.owner_dsn, db.app_role, before, say=lambda _: None)
        with psycopg.connect(db.owner_dsn, autocommit=True) as owner:
            item, loc_a, loc_b = new_item(owner), new_location(owner), new_location(owner)
            ledger = "insert into movement (item_id, location_id, type, qty, created_at) values (%s, %s, %s, %s, %s)"
            owner.execute(ledger, (item, loc_a, "receive", 5, T0))
            owner.execute(
                "insert into inventory_count (item_id, location_id, qty_on_hand, counted_at) values (%s, %s, 3, %s)",
                (item, loc_a, T0 + timedelta(seconds=1)),
            )
            owner.execute(ledger, (item, loc_a, "use", -1, T0 + timedelta(seconds=2)))
            owner.execute(ledger, (item, loc_b, "receive", 9, T0))
            migrate(db.owner_dsn, db.app_role, say=lambda _: None)
            assert assert_matches_ledger(owner, [item]) == {
                (item, loc_a): Decimal("2.000"),
                (item, loc_b): Decimal("9.000"),
            }
    finally:
        cluster.drop(name)


# --- random ledgers against a plain-Python model -----------------------------------------------------------


@dataclass(frozen=True)
class Op:
    kind: str  # count, receive, use, adjust, transfer
    item: int
    loc: int
    qty: Decimal
    second: int | None  # seconds after T0 (few values, so ties are common), or None for now()
    to: int = 0  # transfer destination
    commit: bool = True  # end the transaction after this op


def thousandths(low: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(lambda n: Decimal(n).scaleb(-3))


ITEMS, LOCATIONS = 2, 3
SECONDS = st.one_of(st.none(), st.integers(0, 4))
OPS = st.one_of(
    st.builds(
        Op,
        st.just("count"),
        st.integers(0, ITEMS - 1),
        st.integers(0, LOCATIONS - 1),
        thousandths(0, 10**6),
        SECONDS,
        commit=st.booleans(),
    ),
    st.builds(
        Op,
        st.sampled_from(["receive", "use"]),
        st.integers(0, ITEMS - 1),
        st.integers(0, LOCATIONS - 1),
        thousandths(1, 10**6),
        SECONDS,
        commit=st.booleans(),
    ),
    st.builds(
        Op,
        st.just("adjust"),
        st.integers(0, ITEMS - 1),
        st.integers(0, LOCATIONS - 1),
        thousandths(-(10**6), 10**6).filter(bool),
        SECONDS,
        commit=st.booleans(),
    ),
    st.builds(
        Op,
        st.just("transfer"),
        st.integers(0, ITEMS - 1),
        st.integers(0, LOCATIONS - 1),
        thousandths(1, 10**6),
        SECONDS,
        to=st.integers(0, LOCATIONS - 1),
        commit=st.booleans(),
    ).filter(lambda o: o.to != o.loc),
)


@dataclass
class Model:
    """The ledger as lists, and on-hand computed from them by the rule in plain Python."""

    counts: dict[Pair, list[tuple[datetime, uuid.UUID, Decimal]]]
    moves: dict[Pair, list[tuple[datetime, Decimal]]]

    def on_hand(self, pair: Pair) -> Decimal:
        moves = self.moves.get(pair, [])
        if not self.counts.get(pair):
            return sum((q for _, q in moves), Decimal(0))
        at, _, qty = max(self.counts[pair])
        return qty + sum((q for t, q in moves if t > at), Decimal(0))

    def pairs(self) -> set[Pair]:
        return set(self.counts) | set(self.moves)


def apply(conn: psycopg.Connection, op: Op, items: list[uuid.UUID], locs: list[uuid.UUID], model: Model) -> None:
    item, loc = items[op.item], locs[op.loc]
    at = None if op.second is None else T0 + timedelta(seconds=op.second)
    if op.kind == "count":
        count_id, counted_at = count(conn, item, loc, op.qty, at)
        model.counts.setdefault((item, loc), []).append((counted_at, count_id, op.qty))
    elif op.kind == "transfer":
        created_at = transfer(conn, item, loc, locs[op.to], op.qty, at)
        model.moves.setdefault((item, loc), []).append((created_at, -op.qty))
        model.moves.setdefault((item, locs[op.to]), []).append((created_at, op.qty))
    else:
        qty = -op.qty if op.kind == "use" else op.qty
        model.moves.setdefault((item, loc), []).append((move(conn, item, loc, op.kind, qty, at), qty))


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(OPS, min_size=1, max_size=25))
def test_random_ledgers_match_the_recompute_and_the_model(db: Db, owner: psycopg.Connection, ops: list[Op]) -> None:
    items = [new_item(owner) for _ in range(ITEMS)]
    locs = [new_location(owner) for _ in range(LOCATIONS)]
    model = Model({}, {})
    conn = psycopg.connect(db.app_dsn)
    try:
        for op in ops:
            if conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
                conn.execute(SET_CONTEXT, (str(USER_IDS["manager"]), "manager"))
            apply(conn, op, items, locs, model)
            if op.commit:
                conn.commit()
        conn.commit()
    finally:
        conn.close()
    table = assert_matches_ledger(owner, items)
    assert set(table) == model.pairs()
    assert table == {pair: model.on_hand(pair) for pair in model.pairs()}


# --- concurrency -------------------------------------------------------------------------------------------


def run_all(workers: int, task: Any) -> list[Any]:
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(task, range(workers)))


def test_twenty_concurrent_movements_on_one_pair_all_land(db: Db, owner: psycopg.Connection, pair: Pair) -> None:
    item, loc = pair
    start = threading.Barrier(20)

    def one(n: int) -> None:
        with request(db) as conn:
            start.wait(timeout=10)
            move(conn, item, loc, "receive" if n % 2 else "adjust", Decimal(n + 1).scaleb(-3) if n % 2 else "-0.005")

    run_all(20, one)
    expected = sum(Decimal(n + 1).scaleb(-3) for n in range(1, 20, 2)) + 10 * Decimal("-0.005")
    assert owner.execute("select count(*) from movement where item_id = %s", (item,)).fetchone() == (20,)
    assert assert_matches_ledger(owner, [item]) == {(item, loc): expected}


def test_counts_racing_movements_stay_equal_to_the_ledger(db: Db, owner: psycopg.Connection, pair: Pair) -> None:
    item, loc = pair
    start = threading.Barrier(20)

    def one(n: int) -> None:
        start.wait(timeout=10)
        for k in range(5):
            with request(db, "counter" if n % 5 == 0 else "manager") as conn:
                if n % 5 == 0:
                    count(conn, item, loc, Decimal(100 * n + k))
                else:
                    move(conn, item, loc, "receive", Decimal(n).scaleb(-3))

    run_all(20, one)
    assert_matches_ledger(owner, [item])


def wait_until_blocked(db: Db, pid: int) -> None:
    with psycopg.connect(db.admin_dsn, autocommit=True) as admin:
        deadline = time.monotonic() + 10
        while not admin.execute("select pg_blocking_pids(%s)", (pid,)).fetchone()[0]:  # type: ignore[index]
            assert time.monotonic() < deadline, "the second writer never waited for the first"
            time.sleep(0.01)


@contextmanager
def open_transaction(db: Db, role: str) -> Iterator[psycopg.Connection]:
    """A transaction whose now() is fixed from this moment (its first statement)."""
    with psycopg.connect(db.app_dsn) as conn:
        conn.execute(SET_CONTEXT, (str(USER_IDS[role]), role))
        yield conn


# Two writers of one pair, the second blocked on the first's row lock. "first" holds the lock;
# "older" is the writer whose transaction (and so whose now()) began first.
INTERLEAVINGS = {
    # the count began later and waits for an earlier movement: the movement is before it
    "movement-locks-count-is-newer": ("movement", "movement", Decimal("10.000")),
    # the count began first but waits for a later movement: a fresh snapshot after the lock sees it
    "movement-locks-count-is-older": ("movement", "count", Decimal("12.500")),
    # the movement began later and waits for the count: it lands after the count
    "count-locks-movement-is-newer": ("count", "count", Decimal("12.500")),
    # the movement began first but waits for the count: re-checked against the new count, it is before it
    "count-locks-movement-is-older": ("count", "movement", Decimal("10.000")),
}


@pytest.mark.parametrize(("first", "older", "expected"), INTERLEAVINGS.values(), ids=INTERLEAVINGS.keys())
def test_count_and_movement_interleavings(
    db: Db, owner: psycopg.Connection, pair: Pair, first: str, older: str, expected: Decimal
) -> None:
    item, loc = pair
    with request(db) as conn:
        move(conn, item, loc, "receive", "1", T0)  # the row exists before the race
    writes = {
        "count": lambda conn: count(conn, item, loc, "10"),
        "movement": lambda conn: move(conn, item, loc, "receive", "2.5"),
    }
    second = "count" if first == "movement" else "movement"
    younger = "count" if older == "movement" else "movement"
    with open_transaction(db, "manager") as older_tx:
        time.sleep(0.002)  # now() of the two transactions differs
        with open_transaction(db, "manager") as younger_tx:
            tx = {older: older_tx, younger: younger_tx}
            writes[first](tx[first])
            with ThreadPoolExecutor(1) as pool:
                waiting = pool.submit(lambda: (writes[second](tx[second]), tx[second].commit()))
                wait_until_blocked(db, tx[second].info.backend_pid)
                tx[first].commit()
                waiting.result(timeout=10)
    assert assert_matches_ledger(owner, [item]) == {(item, loc): expected}


def test_opposite_transfers_at_once_do_not_deadlock(db: Db, owner: psycopg.Connection) -> None:
    """Every statement locks its stock_level rows in (item_id, location_id) order, whatever its row order."""
    item, a, b = new_item(owner), new_location(owner), new_location(owner)
    start = threading.Barrier(16)

    def one(n: int) -> None:
        src, dst = (a, b) if n % 2 else (b, a)
        start.wait(timeout=10)
        for _ in range(10):
            with request(db) as conn:
                transfer(conn, item, src, dst, Decimal("0.5"), None)
                time.sleep(0.001)  # hold the locks a moment, as a request with more to do would

    run_all(16, one)
    assert assert_matches_ledger(owner, [item]) == {(item, a): Decimal("0.000"), (item, b): Decimal("0.000")}
