"""Count sessions in SQL as the app role (sql/schema/0012_count_sessions.sql, sql/policies/count_session*.sql):
who may open, record, post and cancel; one open session per location even for two writers at once;
a posted session is final; post_count_session() writes counts on behalf of each line's counter."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest

from tests.pg import Db

USER_IDS = {
    role: uuid.UUID(f"00000000-0000-4000-8000-0000000002{n:02d}")
    for n, role in enumerate(("admin", "manager", "counter", "viewer"))
}
DRY = uuid.UUID("00000000-0000-4000-8000-0000000002a1")
COOL = uuid.UUID("00000000-0000-4000-8000-0000000002a2")
FLOUR = uuid.UUID("00000000-0000-4000-8000-0000000002b1")
MILK = uuid.UUID("00000000-0000-4000-8000-0000000002b2")
SET_CONTEXT = "select set_config('app.user_id', %s, true), set_config('app.role', %s, true)"


def seed(owner: psycopg.Connection) -> None:
    for role, user_id in USER_IDS.items():
        owner.execute(
            "insert into app_user (id, email, display_name, role, password_hash) values (%s, %s, %s, %s, 'x')",
            (user_id, f"{role}@example.test", role, role),
        )
    owner.execute(
        "insert into location (id, code, name, temp_zone)"
        " values (%s, 'DRY', 'Dry', 'dry'), (%s, 'COOL', 'Cool', 'cooler')",
        (DRY, COOL),
    )
    owner.execute(
        "insert into item (id, item_number, name, unit) values (%s, 'FLOUR', 'Flour', 'kg'), (%s, 'MILK', 'Milk', 'l')",
        (FLOUR, MILK),
    )


@contextmanager
def acting(db: Db, role: str, *, commit: bool = False) -> Iterator[psycopg.Cursor[Any]]:
    """A transaction as the API sets one up for role; rolled back unless commit."""
    with psycopg.connect(db.app_dsn) as conn, conn.cursor() as cur:
        cur.execute(SET_CONTEXT, (str(USER_IDS[role]), role))
        yield cur
        if commit:
            conn.commit()
        else:
            conn.rollback()


def open_session(cur: psycopg.Cursor[Any], *locations: uuid.UUID, blind: bool = False) -> uuid.UUID:
    """As a manager: a session over locations, one line per item per location."""
    row = cur.execute(
        "insert into count_session (created_by, blind) values (current_app_user_id(), %s) returning id", (blind,)
    ).fetchone()
    assert row is not None
    for n, location in enumerate(locations, start=1):
        cur.execute(
            "insert into count_session_location (session_id, location_id, ordinal) values (%s, %s, %s)",
            (row[0], location, n),
        )
        for m, item in enumerate((FLOUR, MILK), start=1):
            cur.execute(
                "insert into count_session_line (session_id, location_id, item_id, seq, position)"
                " values (%s, %s, %s, %s, %s)",
                (row[0], location, item, 2 * n + m, m),
            )
    return uuid.UUID(str(row[0]))


def switch(cur: psycopg.Cursor[Any], role: str) -> None:
    cur.execute(SET_CONTEXT, (str(USER_IDS[role]), role))


RECORD = (
    "update count_session_line set counted_qty = 4, counted_at = now(), counted_by = %s"
    " where session_id = %s and item_id = %s"
)


@pytest.fixture
def cleanup(owner: psycopg.Connection) -> Iterator[None]:
    yield
    owner.execute("update count_session set status = 'canceled', canceled_at = now() where status = 'open'")


def test_a_counter_records_lines_as_itself_but_never_opens_posts_or_cancels(db: Db) -> None:
    with acting(db, "manager") as cur:
        session = open_session(cur, DRY)
        switch(cur, "counter")
        cur.execute(RECORD, (USER_IDS["counter"], session, FLOUR))
        assert cur.rowcount == 2 - 1  # one line: FLOUR at DRY
        cur.execute("savepoint s")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            cur.execute(RECORD, (USER_IDS["manager"], session, MILK))  # as someone else
        cur.execute("rollback to savepoint s")
        for statement in (
            "update count_session set status = 'posted', posted_at = now()",
            "update count_session set status = 'canceled', canceled_at = now()",
            "update count_session set note = 'mine'",
            f"select post_count_session('{session}', 'keep')",
            "insert into count_session (created_by) values (current_app_user_id())",
            "update count_session_line set seq = seq + 100",
            "update count_session_line set item_id = item_id",
            "delete from count_session_line",
        ):
            cur.execute("savepoint s")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                cur.execute(statement)
            cur.execute("rollback to savepoint s")
        assert cur.execute("select status from count_session where id = %s", (session,)).fetchone() == ("open",)


def test_a_counter_may_lock_a_session_to_record_but_a_viewer_sees_nothing(db: Db) -> None:
    with acting(db, "manager") as cur:
        session = open_session(cur, DRY)
        switch(cur, "counter")
        assert cur.execute("select id from count_session where id = %s for key share", (session,)).fetchall() == [
            (session,)
        ]
        switch(cur, "viewer")
        for table in ("count_session", "count_session_location", "count_session_line"):
            assert cur.execute(f"select count(*) from {table}").fetchone() == (0,), table
        cur.execute(RECORD, (USER_IDS["viewer"], session, FLOUR))
        assert cur.rowcount == 0


def test_lines_of_a_posted_or_canceled_session_cannot_change(db: Db) -> None:
    for final in ("posted", "canceled"):
        with acting(db, "manager") as cur:
            session = open_session(cur, DRY)
            cur.execute(RECORD, (USER_IDS["manager"], session, FLOUR))
            stamp = "posted_at" if final == "posted" else "canceled_at"
            cur.execute(f"update count_session set status = %s, {stamp} = now() where id = %s", (final, session))
            for role in ("admin", "manager", "counter"):
                switch(cur, role)
                cur.execute(RECORD, (USER_IDS[role], session, MILK))
                assert cur.rowcount == 0, (final, role)
            switch(cur, "manager")
            cur.execute("savepoint s")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):  # no new lines either
                cur.execute(
                    "insert into count_session_line (session_id, location_id, item_id, seq, position)"
                    " values (%s, %s, %s, 99, 99)",
                    (session, DRY, MILK),
                )
            cur.execute("rollback to savepoint s")
            statuses = cur.execute(
                "select distinct status from count_session_location where session_id = %s", (session,)
            ).fetchall()
            assert statuses == [(final,)]  # copied by the cascading foreign key


@pytest.mark.parametrize(
    "change",
    [
        "status = 'open', posted_at = null",
        "note = 'after the fact'",
        "blind = true",
        "status = 'canceled', canceled_at = now(), posted_at = null",
    ],
)
def test_a_posted_session_is_final_even_for_the_owner(db: Db, owner: psycopg.Connection, change: str) -> None:
    with acting(db, "manager") as cur:
        session = open_session(cur, DRY)
        cur.execute("select post_count_session(%s, 'keep')", (session,))
        cur.execute("savepoint s")
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState):
            cur.execute(f"update count_session set {change} where id = %s", (session,))
        cur.execute("rollback to savepoint s")
    with owner.transaction():
        row = owner.execute(
            "insert into count_session (created_by, status, posted_at) values (%s, 'posted', now()) returning id",
            (USER_IDS["manager"],),
        ).fetchone()
        assert row is not None
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState), owner.transaction():
            owner.execute(f"update count_session set {change} where id = %s", (row[0],))
        owner.execute("delete from count_session where id = %s", (row[0],))


def test_an_open_session_keeps_what_it_was_opened_as(db: Db) -> None:
    with acting(db, "manager") as cur:
        session = open_session(cur, DRY)
        for change in ("blind = true", "started_at = now() - interval '1 day'", "created_by = %s"):
            cur.execute("savepoint s")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                cur.execute(
                    f"update count_session set {change} where id = %s",
                    ((USER_IDS["admin"], session) if "%s" in change else (session,)),
                )
            cur.execute("rollback to savepoint s")


def test_one_open_session_per_location_even_for_two_writers_at_once(db: Db, cleanup: None) -> None:
    """The second writer waits on the first's uncommitted index entry, then fails when it commits."""
    failures: list[BaseException] = []
    first_inserted, second_started = threading.Event(), threading.Event()

    def second() -> None:
        with acting(db, "admin", commit=True) as cur:
            first_inserted.wait(10)
            second_started.set()
            try:
                open_session(cur, COOL, DRY)
            except psycopg.errors.UniqueViolation as exc:
                failures.append(exc)
                cur.connection.rollback()

    thread = threading.Thread(target=second)
    thread.start()
    with acting(db, "manager", commit=True) as cur:
        open_session(cur, DRY)
        first_inserted.set()
        second_started.wait(10)
        threading.Event().wait(0.3)  # let the second writer reach the index and block
    thread.join(10)
    assert len(failures) == 1
    with acting(db, "manager") as cur:
        rows = cur.execute("select location_id from count_session_location where status = 'open'").fetchall()
        assert rows == [(DRY,)]


def test_post_writes_each_line_as_its_counter_once(db: Db, cleanup: None) -> None:
    with acting(db, "manager") as cur:
        session = open_session(cur, DRY, COOL)
        switch(cur, "counter")
        cur.execute(
            "update count_session_line set counted_qty = 3, counted_at = now(), counted_by = %s,"
            ' breakdown = \'[{"pack_id": null, "qty": "3", "pack_qty": "1"}]\''
            " where session_id = %s and item_id = %s and location_id = %s",
            (USER_IDS["counter"], session, FLOUR, DRY),
        )
        switch(cur, "manager")
        assert cur.execute("select post_count_session(%s, 'zero')", (session,)).fetchone() == (4,)
        counts = cur.execute(
            "select item_id, location_id, qty_on_hand::text, counted_by, breakdown is not null from inventory_count"
            " where count_session_id = %s order by qty_on_hand desc, location_id, item_id",
            (session,),
        ).fetchall()
        assert counts[0] == (FLOUR, DRY, "3.000", USER_IDS["counter"], True)
        assert sorted(c[3] for c in counts[1:]) == [USER_IDS["manager"]] * 3  # the zeros: by the poster
        assert cur.execute("select status from count_session where id = %s", (session,)).fetchone() == ("posted",)
        cur.execute("savepoint s")
        with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState):
            cur.execute("select post_count_session(%s, 'keep')", (session,))
        cur.execute("rollback to savepoint s")
        for bad, error in (
            ("'drop'", psycopg.errors.InvalidParameterValue),
            ("null", psycopg.errors.InvalidParameterValue),
        ):
            cur.execute("savepoint s")
            with pytest.raises(error):
                cur.execute(f"select post_count_session(%s, {bad})", (session,))
            cur.execute("rollback to savepoint s")
        with pytest.raises(psycopg.errors.NoDataFound):
            cur.execute("select post_count_session(gen_random_uuid(), 'keep')")


@pytest.mark.parametrize(
    ("user", "role"), [("viewer", "viewer"), ("counter", "counter"), ("manager", ""), ("manager", "MANAGER")]
)
def test_post_refuses_every_caller_but_admins_and_managers(db: Db, user: str, role: str) -> None:
    with acting(db, "manager") as cur:
        session = open_session(cur, DRY)
        cur.execute(SET_CONTEXT, (str(USER_IDS[user]), role))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            cur.execute("select post_count_session(%s, 'keep')", (session,))


def test_post_is_security_definer_with_a_pinned_search_path(owner: psycopg.Connection) -> None:
    row = owner.execute("select prosecdef, proconfig from pg_proc where proname = 'post_count_session'").fetchone()
    assert row == (True, ["search_path=pg_catalog, public, pg_temp"])
    grants = owner.execute(
        "select has_function_privilege('public', 'post_count_session(uuid, text)', 'execute')"
    ).fetchone()
    assert grants == (False,)


@pytest.mark.parametrize(("role", "sees"), [("counter", False), ("manager", True), ("admin", True)])
def test_the_lines_query_hides_expected_from_counters_in_a_blind_session(db: Db, role: str, sees: bool) -> None:
    """The rule lives in the SQL (ListCountSessionLines reads app.role), not only in the handler."""
    from neuropilot.queries import registry

    walk = registry()["ListCountSessionLines"].sql
    params = {"location_id": None, "item_id": None, "after": 0, "limit": 10}
    with acting(db, "manager") as cur:
        blind, open_ = open_session(cur, DRY, blind=True), open_session(cur, COOL)
        switch(cur, role)
        hidden = [row[-5] for row in cur.execute(walk, params | {"session_id": blind}).fetchall()]
        shown = [row[-5] for row in cur.execute(walk, params | {"session_id": open_}).fetchall()]
    assert len(hidden) == len(shown) == 2
    assert all((value is not None) == sees for value in hidden)
    assert all(value is not None for value in shown)
