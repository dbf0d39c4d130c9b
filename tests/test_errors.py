from __future__ import annotations

import uuid

import psycopg
import pytest

from neuropilot.errors import from_database


def failure(conn: psycopg.Connection, statement: str) -> psycopg.Error:
    with pytest.raises(psycopg.Error) as caught, conn.transaction():
        conn.execute(statement)
    return caught.value


LOCATION = "00000000-0000-4000-8000-0000000000a1"
ITEM = "00000000-0000-4000-8000-0000000000b1"


@pytest.fixture
def seeded(owner: psycopg.Connection) -> psycopg.Connection:
    owner.execute(
        f"insert into location (id, code, name, temp_zone) values ('{LOCATION}', 'L', 'L', 'dry');"
        f"insert into item (id, item_number, name, unit) values ('{ITEM}', 'I-1', 'I', 'kg');"
        f"insert into movement (item_id, location_id, type, qty) values ('{ITEM}', '{LOCATION}', 'receive', 1)"
    )
    return owner


@pytest.mark.parametrize(
    ("statement", "status"),
    [
        ("delete from item", 409),  # history references it (23503 on PostgreSQL 15, 23001 on 18)
        ("insert into item (item_number, name, unit) values ('I-1', 'again', 'kg')", 409),
        (
            f"insert into movement (item_id, location_id, type, qty) values ('{uuid.uuid4()}', "
            f"'{LOCATION}', 'use', -1)",
            422,
        ),
        ("insert into location (code, name, temp_zone) values ('X', 'X', 'attic')", 422),
        ("update item set min_qty = 1e12", 422),
        ("select 'not-a-uuid'::uuid", 422),
        ("update audit_log set action = 'x'", 403),
        ("select pg_sleep(1)", 503),
    ],
)
def test_database_errors_map_to_client_statuses(seeded: psycopg.Connection, statement: str, status: int) -> None:
    seeded.execute("set statement_timeout = 100")
    problem = from_database(failure(seeded, statement))
    assert problem.status == status
    assert "item" not in problem.detail.lower() or status == 409  # no SQL or table names leak
    assert "select" not in problem.detail.lower()
