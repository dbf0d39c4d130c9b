"""The seeded database the SQL-level tests share, one per module (see test_rls.seed)."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from tests.pg import Cluster, Db
from tests.sql.test_rls import seed


@pytest.fixture(scope="module")
def db(cluster: Cluster) -> Iterator[Db]:
    db = cluster.clone()
    try:
        with psycopg.connect(db.owner_dsn, autocommit=True) as owner:
            seed(owner)
        yield db
    finally:
        cluster.drop(db.name)
