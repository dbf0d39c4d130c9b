"""Creating users outside the API: the first admin (CLI) and the demo admin."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from neuropilot import passwords
from neuropilot.queries import query

CREATE_USER = query("CreateUser")
CREATE_AUDIT_ENTRY = query("CreateAuditEntry")
ROLES = ("admin", "manager", "counter", "viewer")


def create_user(conn: psycopg.Connection, email: str, role: str, display_name: str, password: str) -> dict[str, Any]:
    """Insert a user and its audit row in one transaction, as the schema owner (operator's CLI)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    password_hash = passwords.hash_password(password)
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            CREATE_USER.sql,
            {"email": email, "display_name": display_name, "role": role, "password_hash": password_hash},
        )
        user = cur.fetchone()
        assert user is not None
        cur.execute(
            CREATE_AUDIT_ENTRY.sql,
            {
                "actor_id": None,
                "action": "user.create",
                "entity": "app_user",
                "entity_id": user["id"],
                "details": Jsonb({"email": email, "role": role, "via": "cli"}),
                "ip": None,
                "user_agent": None,
            },
        )
    return user
