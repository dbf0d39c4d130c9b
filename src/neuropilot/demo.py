"""Demo admin and demo data for `make run` on an empty database."""

from __future__ import annotations

import secrets

import psycopg

from neuropilot.queries import query
from neuropilot.users import create_user

COUNT_USERS = query("CountUsers")
CREATE_DEMO_DATA = query("CreateDemoData")
CREATE_DEMO_SUPPLIERS = query("CreateDemoSuppliers")
CREATE_DEMO_COUNTING = query("CreateDemoCounting")
REBUILD_DEMO_STOCK_LEVEL = query("RebuildDemoStockLevel")
GET_ACTIVE_ADMIN_BY_EMAIL = query("GetActiveAdminByEmail")
DEMO_EMAIL = "admin@neuropilot.local"


def ensure_demo(owner_dsn: str) -> tuple[str, str] | None:
    """On a database without users: create a demo admin and demo data; return (email, password)."""
    with psycopg.connect(owner_dsn) as conn:
        row = conn.execute(COUNT_USERS.sql).fetchone()
        if row is None or row[0] > 0:
            return None
        password = secrets.token_urlsafe(15)
        admin = create_user(conn, DEMO_EMAIL, "admin", "Demo Admin", password)
        with conn.transaction():
            conn.execute(CREATE_DEMO_DATA.sql, {"admin_id": admin["id"]})
            conn.execute(REBUILD_DEMO_STOCK_LEVEL.sql)
            conn.execute(CREATE_DEMO_SUPPLIERS.sql, {"admin_id": admin["id"]})
            conn.execute(CREATE_DEMO_COUNTING.sql, {"admin_id": admin["id"]})
    return DEMO_EMAIL, password


def create_demo_data(owner_dsn: str, admin_email: str) -> int:
    """`neuropilot demo-data`: add the demo data set, attributing it to an existing admin."""
    with psycopg.connect(owner_dsn) as conn:
        admin = conn.execute(GET_ACTIVE_ADMIN_BY_EMAIL.sql, {"email": admin_email}).fetchone()
        if admin is None:
            raise ValueError(f"no active admin with email {admin_email}")
        with conn.transaction():
            written = conn.execute(CREATE_DEMO_DATA.sql, {"admin_id": admin[0]}).fetchone()
            conn.execute(REBUILD_DEMO_STOCK_LEVEL.sql)
            suppliers = conn.execute(CREATE_DEMO_SUPPLIERS.sql, {"admin_id": admin[0]}).fetchone()
            conn.execute(CREATE_DEMO_COUNTING.sql, {"admin_id": admin[0]})
    return sum(int(row[0]) for row in (written, suppliers) if row)
