from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from starlette.testclient import TestClient

from neuropilot import passwords
from neuropilot.app import create_app
from neuropilot.config import Settings
from neuropilot.tokens import Tokens, load_keys
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


JWT_KEYS = (("test-current", "t" * 64), ("test-previous", "p" * 64))


def settings_for(database: Db, **overrides: object) -> Settings:
    base = Settings(
        database_url=database.app_dsn,
        migrator_database_url=database.owner_dsn,
        app_role=database.app_role,
        pool_min_size=1,
        pool_max_size=4,
        jwt_keys=JWT_KEYS,
    )
    return Settings(**{**base.__dict__, **overrides})  # type: ignore[arg-type]


@pytest.fixture
def client(database: Db) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(database)), raise_server_exceptions=False) as c:
        yield c


PASSWORD = "correct horse battery staple"
ROLES = ("admin", "manager", "counter", "viewer")


@dataclass(frozen=True)
class Person:
    id: str
    email: str
    role: str

    @property
    def headers(self) -> dict[str, str]:
        """A bearer token for this person, minted with the test signing key."""
        tokens = Tokens(load_keys(Settings(jwt_keys=JWT_KEYS)))
        return {"Authorization": f"Bearer {tokens.issue_access(self.id, self.email, self.role)}"}


@pytest.fixture(scope="session")
def password_hash() -> str:
    return passwords.hash_password(PASSWORD)  # argon2 is slow on purpose: hash once per run


@pytest.fixture
def people(owner: psycopg.Connection, password_hash: str) -> dict[str, Person]:
    """One active user per role, all with PASSWORD, keyed by role."""
    found = {}
    for role in ROLES:
        email = f"{role}@example.com"
        row = owner.execute(
            "insert into app_user (email, display_name, role, password_hash) values (%s, %s, %s, %s) returning id",
            (email, role.title(), role, password_hash),
        ).fetchone()
        assert row is not None
        found[role] = Person(str(row[0]), email, role)
    return found


@pytest.fixture
def kitchen(owner: psycopg.Connection) -> dict[str, str]:
    """Two locations and two items (ids by name), created as the owner."""
    ids: dict[str, str] = {}
    for code, zone in (("DRY", "dry"), ("COOL", "cooler")):
        row = owner.execute(
            "insert into location (code, name, temp_zone) values (%s, %s, %s) returning id", (code, code.title(), zone)
        ).fetchone()
        assert row is not None
        ids[code] = str(row[0])
    for number, category, cost in (("FLOUR", "dry goods", "1.2500"), ("MILK", "dairy", "0.9900")):
        row = owner.execute(
            "insert into item (item_number, name, unit, category, min_qty, max_qty, unit_cost)"
            " values (%s, %s, 'kg', %s, 5, 20, %s) returning id",
            (number, number.title(), category, cost),
        ).fetchone()
        assert row is not None
        ids[number] = str(row[0])
    return ids
