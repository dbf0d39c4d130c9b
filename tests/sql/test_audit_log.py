"""audit_log is append-only for everyone, the owner included (CONTRACT §3)."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest

from tests.pg import Db

ADMIN_ID = uuid.UUID("00000000-0000-4000-8000-0000000000d1")
CHANGES = {
    "update": "update audit_log set action = 'forged', details = '{}'",
    "update-no-rows": "update audit_log set action = 'forged' where id < 0",
    "delete": "delete from audit_log",
    "delete-no-rows": "delete from audit_log where id < 0",
    "truncate": "truncate audit_log",
}


def seed(owner: psycopg.Connection) -> None:
    """An admin and two audit rows, as the owner (tests/sql/conftest.py runs it once per module)."""
    owner.execute(
        "insert into app_user (id, email, display_name, role, password_hash)"
        " values (%s, 'admin@example.test', 'Admin', 'admin', 'hash')",
        (ADMIN_ID,),
    )
    for action in ("login", "create"):
        owner.execute(
            "insert into audit_log (actor_id, action, entity, details) values (%s, %s, 'item', %s)",
            (ADMIN_ID, action, '{"name": "Flour"}'),
        )


def audit_rows(owner: psycopg.Connection) -> list[tuple[Any, ...]]:
    rows = owner.execute("select * from audit_log order by id").fetchall()
    assert rows, "the seeded audit rows are gone"
    return rows


@pytest.mark.parametrize("statement", CHANGES.values(), ids=CHANGES.keys())
def test_app_role_cannot_change_audit_log_even_as_admin(db: Db, owner: psycopg.Connection, statement: str) -> None:
    before = audit_rows(owner)
    with psycopg.connect(db.app_dsn) as app:
        app.execute(
            "select set_config('app.user_id', %s, true), set_config('app.role', 'admin', true)", (str(ADMIN_ID),)
        )
        assert app.execute("select count(*) from audit_log").fetchone() == (len(before),)  # admin reads it all
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            app.execute(statement)
        app.rollback()
    assert audit_rows(owner) == before


@pytest.mark.parametrize("statement", CHANGES.values(), ids=CHANGES.keys())
def test_owner_cannot_change_audit_log(owner: psycopg.Connection, statement: str) -> None:
    before = audit_rows(owner)
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
        owner.execute(statement)
    assert audit_rows(owner) == before


def test_truncate_cascading_from_users_is_refused(owner: psycopg.Connection) -> None:
    before = audit_rows(owner)
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
        owner.execute("truncate app_user cascade")
    assert audit_rows(owner) == before
    assert owner.execute("select id from app_user").fetchall() == [(ADMIN_ID,)]


def test_owner_can_append_and_earlier_rows_stay_intact(owner: psycopg.Connection) -> None:
    before = audit_rows(owner)
    owner.execute("insert into audit_log (actor_id, action, entity) values (%s, 'backup', 'database')", (ADMIN_ID,))
    after = audit_rows(owner)
    assert after[: len(before)] == before
    assert [(row[1], row[2], row[3]) for row in after[len(before) :]] == [(ADMIN_ID, "backup", "database")]
