"""record_count_line_as (sql/schema/0016), the one statement behind PUT /v1/count-sessions/{id}/lines,
tested in SQL as the app role: it counts as the caller under the same policies, refuses before it
writes (no line change, no audit row), keeps the latest count, hides expected from a counter in a
blind session, and leaves no context behind in autocommit. Who may call it (the app role only) and that it
runs as the caller (SECURITY INVOKER) is tested with the other one-statement functions (test_one_statement.py)."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest

from tests.pg import Db
from tests.sql.test_count_sessions import COOL, DRY, FLOUR, MILK, USER_IDS, acting, open_session, switch
from tests.sql.test_count_sessions import seed as seed  # this module's database is seeded the same way

RECORD = (
    "select refused, session_status, counted_qty::text, counted_by, expected::text"
    " from record_count_line_as(%s, %s, %s, %s, %s, %s, null, %s, '{\"n\": 1}', '10.0.0.1', 'ua')"
)


def record(cur: Any, role: str, session: uuid.UUID, location: uuid.UUID, item: uuid.UUID, qty: str = "4",
           at: str | None = None) -> tuple[Any, ...]:  # fmt: skip
    rows = cur.execute(RECORD, (str(USER_IDS[role]), role, session, location, item, qty, at)).fetchall()
    assert len(rows) == 1
    return tuple(rows[0])


def written(cur: Any, session: uuid.UUID) -> tuple[Any, ...]:
    """What a PUT may change, read as an admin inside the same transaction: the session's counted
    lines and its audit rows (the function leaves the context it set; this sets the admin's)."""
    switch(cur, "admin")
    lines = cur.execute(
        "select item_id, location_id, counted_qty, counted_at, counted_by from count_session_line"
        " where session_id = %s and counted_at is not null order by seq",
        (session,),
    ).fetchall()
    audit = cur.execute(
        "select actor_id, details from audit_log where entity_id = %s and action = 'count_session.line' order by id",
        (session,),
    ).fetchall()
    return tuple(lines), tuple(audit)


@pytest.mark.parametrize("role", ["admin", "manager", "counter"])
def test_a_line_is_counted_as_the_caller_with_its_audit_row(db: Db, owner: psycopg.Connection, role: str) -> None:
    with acting(db, "manager") as cur:
        session = open_session(cur, DRY)
        got = record(cur, role, session, DRY, FLOUR, "4.5")
        assert got[:4] == (None, "open", "4.500", USER_IDS[role])
        lines, audit = written(cur, session)
        assert [(line[0], line[2], line[4]) for line in lines] == [(FLOUR, 4.5, USER_IDS[role])]
        assert audit == ((USER_IDS[role], {"n": 1, "applied": True}),)


@pytest.mark.parametrize("case", ["unknown session", "viewer", "canceled", "future", "early", "not a line"])
def test_a_refusal_writes_nothing(db: Db, case: str) -> None:
    with acting(db, "manager") as cur:
        session = open_session(cur, DRY)
        before = written(cur, session)
        target, role, location, at, expected = session, "counter", DRY, None, case
        if case == "unknown session":
            target, expected = uuid.UUID("00000000-0000-4000-8000-000000000000"), "session"
        elif case == "viewer":  # RLS hides every session from a viewer
            role, expected = "viewer", "session"
        elif case == "canceled":
            cur.execute("update count_session set status = 'canceled', canceled_at = now() where id = %s", (session,))
            expected = "closed"
        elif case == "future":
            at = "now() + interval '31 seconds'"
        elif case == "early":
            at = "now() - interval '1 second'"
        elif case == "not a line":
            location, expected = COOL, "line"
        if at is not None:
            at = cur.execute(f"select {at}").fetchone()[0]
        got = record(cur, role, target, location, FLOUR, "4", at)
        assert got[0] == {"future": "future", "early": "early"}.get(case, expected)
        if case == "canceled":
            assert got[1] == "canceled"
        assert written(cur, session) == before == ((), ())


def test_the_latest_count_wins_and_every_attempt_is_audited(db: Db) -> None:
    with acting(db, "manager") as cur:
        session = open_session(cur, DRY)
        now = cur.execute("select statement_timestamp()").fetchone()[0]
        earlier = cur.execute("select %s::timestamptz - interval '1 millisecond'", (now,)).fetchone()[0]
        assert record(cur, "counter", session, DRY, MILK, "3", now)[2] == "3.000"
        assert record(cur, "manager", session, DRY, MILK, "1", earlier)[2] == "3.000"  # late: kept the newer
        assert record(cur, "manager", session, DRY, MILK, "2", now)[2:4] == ("2.000", USER_IDS["manager"])
        _, audit = written(cur, session)
        assert [(actor, details["applied"]) for actor, details in audit] == [
            (USER_IDS["counter"], True),
            (USER_IDS["manager"], False),
            (USER_IDS["manager"], True),
        ]


@pytest.mark.parametrize(("role", "sees"), [("counter", False), ("manager", True), ("admin", True)])
def test_expected_is_hidden_from_a_counter_in_a_blind_session(db: Db, role: str, sees: bool) -> None:
    with acting(db, "manager") as cur:
        blind, plain = open_session(cur, DRY, blind=True), open_session(cur, COOL)
        assert (record(cur, role, blind, DRY, FLOUR)[4] is not None) == sees
        assert record(cur, role, plain, COOL, FLOUR)[4] == "0.000"


def test_in_autocommit_the_line_commits_and_no_context_survives(db: Db, owner: psycopg.Connection) -> None:
    with acting(db, "manager", commit=True) as cur:
        session = open_session(cur, DRY)
    try:
        with psycopg.connect(db.app_dsn, autocommit=True) as app:
            assert record(app, "counter", session, DRY, FLOUR, "6")[:3] == (None, "open", "6.000")
            context = app.execute("select current_setting('app.user_id', true), current_setting('app.role', true)")
            assert context.fetchone() in ((None, None), ("", ""))
        line = owner.execute(
            "select counted_qty::text, counted_by from count_session_line where session_id = %s and item_id = %s",
            (session, FLOUR),
        ).fetchone()
        assert line == ("6.000", USER_IDS["counter"])
    finally:
        owner.execute("update count_session set status = 'canceled', canceled_at = now() where id = %s", (session,))
