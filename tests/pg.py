"""Real PostgreSQL for the tests (CONTRACT §9).

NEUROPILOT_TEST_DSN (a superuser DSN) if set, else a testcontainers postgres:17 when a Docker
daemon answers, else the embedded PostgreSQL in a temporary directory. The suite creates its own
owner and app roles (unique names, dropped at the end), migrates one template database, and gives
each test a clone of it (CREATE DATABASE … TEMPLATE …), so tests never see each other's rows.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from neuropilot.migrate import migrate

# Every table of the schema, in dependency order; the RLS matrix, the catalog checks and the
# migration tests all cover exactly these.
TABLES = (
    "app_user",
    "location",
    "item",
    "inventory_count",
    "movement",
    "purchase_order",
    "purchase_order_line",
    "audit_log",
    "refresh_token",
    "idempotency_key",
    "stock_level",
    "item_pack",
    "supplier",
    "supplier_item",
    "supplier_item_price",
)


@dataclass(frozen=True)
class Db:
    name: str
    admin_dsn: str  # superuser, same database
    owner_dsn: str  # schema owner (what MIGRATOR_DATABASE_URL logs in as)
    app_dsn: str  # the RLS-bound app role (what DATABASE_URL logs in as)
    owner_role: str
    app_role: str


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except subprocess.TimeoutExpired:
        return False


@contextlib.contextmanager
def superuser_dsn() -> Iterator[str]:
    if dsn := os.environ.get("NEUROPILOT_TEST_DSN"):
        yield dsn
    elif _docker_answers():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:17", driver=None) as pg:
            yield pg.get_connection_url()
    else:
        from neuropilot.embedded import start_server

        with tempfile.TemporaryDirectory(prefix="neuropilot-test-") as tmp:
            server = start_server(Path(tmp) / "pgdata", delete_on_exit=True)
            try:
                yield server.get_uri()
            finally:
                server.cleanup()


class Cluster:
    """One PostgreSQL server, with this run's roles and migrated template database."""

    def __init__(self, admin_dsn: str) -> None:
        suffix = secrets.token_hex(4)
        self.admin_dsn = admin_dsn
        self.owner_role = f"np_test_owner_{suffix}"
        self.app_role = f"np_test_app_{suffix}"
        self.template = f"np_test_tpl_{suffix}"
        self._names = (f"np_test_{suffix}_{n}" for n in itertools.count())
        self._databases: list[str] = []

    def admin(self, dbname: str | None = None) -> psycopg.Connection:
        return psycopg.connect(make_conninfo(self.admin_dsn, **({"dbname": dbname} if dbname else {})), autocommit=True)

    def dsn(self, user: str, dbname: str) -> str:
        return make_conninfo(self.admin_dsn, user=user, dbname=dbname)

    def setup(self) -> None:
        with self.admin() as conn:
            conn.execute(sql.SQL("create role {} login nosuperuser").format(sql.Identifier(self.owner_role)))
            conn.execute(
                sql.SQL("create role {} login nosuperuser nobypassrls noinherit").format(sql.Identifier(self.app_role))
            )
        self.create_empty(self.template)
        migrate(self.dsn(self.owner_role, self.template), self.app_role, say=lambda _: None)

    def create_empty(self, name: str, template: str = "template0") -> None:
        with self.admin() as conn:
            conn.execute(
                sql.SQL("create database {} owner {} template {}").format(
                    sql.Identifier(name), sql.Identifier(self.owner_role), sql.Identifier(template)
                )
            )
        self._databases.append(name)

    def new_name(self) -> str:
        return next(self._names)

    def clone(self) -> Db:
        name = self.new_name()
        self.create_empty(name, template=self.template)
        return self.describe(name)

    def describe(self, name: str) -> Db:
        return Db(
            name=name,
            admin_dsn=make_conninfo(self.admin_dsn, dbname=name),
            owner_dsn=self.dsn(self.owner_role, name),
            app_dsn=self.dsn(self.app_role, name),
            owner_role=self.owner_role,
            app_role=self.app_role,
        )

    def drop(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        if name in self._databases:
            self._databases.remove(name)

    def teardown(self) -> None:
        for name in list(self._databases):
            self.drop(name)
        with self.admin() as conn:
            for role in (self.app_role, self.owner_role):
                conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(role)))
