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
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
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
    "location_sheet_item",
    "count_session",
    "count_session_location",
    "count_session_line",
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
                _throwaway(server.get_uri())
                yield server.get_uri()
            finally:
                server.cleanup()


def _throwaway(dsn: str) -> None:
    """The suite's own embedded server is deleted when the run ends: it need not survive a power cut, so it
    skips the disk flushes that make CREATE and DROP DATABASE (once per test) slow."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        for setting in ("fsync", "full_page_writes", "synchronous_commit"):
            conn.execute(sql.SQL("alter system set {} = off").format(sql.Identifier(setting)))
        conn.execute("select pg_reload_conf()")


READY = 3  # clones made ahead, side by side: on PostgreSQL 15 each CREATE DATABASE waits for a checkpoint
DROP_BATCH = 50  # about half a gigabyte of finished test databases waiting at most


class Cluster:
    """One PostgreSQL server, with this run's roles and migrated template database.

    Each test's database is a clone of the template. CREATE and DROP DATABASE wait on the disk (WAL
    flushes, checkpoints) rather than the CPU, so background threads make the next clones while a test
    runs (READY side by side: on PostgreSQL 15 each CREATE waits for a checkpoint, and creates waiting
    together share one), and drop the databases tests are done with DROP_BATCH at a time: each DROP
    DATABASE forces a checkpoint that writes out every database still alive, so dropping one per test
    would write each test's copy of the template to disk for nothing.
    """

    def __init__(self, admin_dsn: str) -> None:
        suffix = secrets.token_hex(4)
        self.admin_dsn = admin_dsn
        self.owner_role = f"np_test_owner_{suffix}"
        self.app_role = f"np_test_app_{suffix}"
        self.template = f"np_test_tpl_{suffix}"
        self._names = (f"np_test_{suffix}_{n}" for n in itertools.count())
        self._databases: list[str] = []
        self._background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="np-test-drops")
        self._creators = ThreadPoolExecutor(max_workers=READY, thread_name_prefix="np-test-clones")
        self._ready: deque[Future[str]] = deque()
        self._drops: list[Future[None]] = []
        self._done: list[str] = []

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
        while len(self._ready) < READY + 1:
            self._ready.append(self._copy())
        return self.describe(self._ready.popleft().result())

    def _copy(self) -> Future[str]:
        name = self.new_name()

        def create() -> str:
            self.create_empty(name, template=self.template)
            return name

        return self._creators.submit(create)

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
        """Drops name later, in the background, with the next DROP_BATCH (its connections closed by force)."""
        self._done.append(name)
        self._drops.append(self._background.submit(self._disconnect, name))  # no backend left waiting
        if len(self._done) >= DROP_BATCH:
            batch, self._done = self._done, []
            self._drops.append(self._background.submit(self._drop_all, batch))

    def _disconnect(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute("select pg_terminate_backend(pid) from pg_stat_activity where datname = %s", (name,))

    def _drop_all(self, names: list[str]) -> None:
        for name in names:
            self._drop_now(name)

    def _drop_now(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        if name in self._databases:
            self._databases.remove(name)

    def teardown(self) -> None:
        self._creators.shutdown(wait=True)
        self._background.shutdown(wait=True)
        for done in self._drops:
            done.result()
        for name in list(self._databases):
            self._drop_now(name)
        with self.admin() as conn:
            for role in (self.app_role, self.owner_role):
                conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(role)))
