"""The SQL-level tests' database: one migrated clone per module, seeded by the module's own
`seed(owner)` when it defines one, and an autocommit owner connection to it."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from tests.pg import Cluster, Db


@pytest.fixture(scope="module")
def db(request: pytest.FixtureRequest, cluster: Cluster) -> Iterator[Db]:
    db = cluster.clone()
    try:
        if seed := getattr(request.module, "seed", None):
            with psycopg.connect(db.owner_dsn, autocommit=True) as owner:
                seed(owner)
        yield db
    finally:
        cluster.drop(db.name)


@pytest.fixture(scope="module")
def owner(db: Db) -> Iterator[psycopg.Connection]:
    """The schema owner (RLS does not apply to it), autocommit."""
    with psycopg.connect(db.owner_dsn, autocommit=True) as conn:
        yield conn
