from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from starlette.testclient import TestClient

from neuropilot.app import create_app
from neuropilot.config import Settings
from tests.pg import Cluster, Db, superuser_dsn


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    with superuser_dsn() as dsn:
        c = Cluster(dsn)
        c.setup()
        try:
            yield c
        finally:
            c.teardown()


@pytest.fixture
def database(cluster: Cluster) -> Iterator[Db]:
    db = cluster.clone()
    try:
        yield db
    finally:
        cluster.drop(db.name)


@pytest.fixture
def owner(database: Db) -> Iterator[psycopg.Connection]:
    """An autocommit connection as the schema owner (RLS does not apply to it)."""
    with psycopg.connect(database.owner_dsn, autocommit=True) as conn:
        yield conn


def settings_for(database: Db, **overrides: object) -> Settings:
    base = Settings(
        database_url=database.app_dsn,
        migrator_database_url=database.owner_dsn,
        app_role=database.app_role,
        pool_min_size=1,
        pool_max_size=4,
    )
    return Settings(**{**base.__dict__, **overrides})  # type: ignore[arg-type]


@pytest.fixture
def client(database: Db) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(database)), raise_server_exceptions=False) as c:
        yield c
