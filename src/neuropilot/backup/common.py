"""What every backup module shares: the error, the progress callback, a one-value query."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from psycopg import sql

Say = Callable[[str], None]


class BackupError(Exception):
    """A backup, restore or drill step failed; the message says which and what to do about it."""


def say_stderr(prefix: str) -> Say:
    return lambda line: print(f"{prefix}: {line}", file=sys.stderr, flush=True)


def one(conn: psycopg.Connection, query: str | sql.Composed, args: Sequence[Any] = ()) -> Any:
    row = conn.execute(query, args).fetchone()
    assert row is not None
    return row[0]
