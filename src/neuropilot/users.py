"""Users: the admin routes of /v1/users, and creating users outside the API (the first admin
through the CLI, the demo admin)."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
import msgspec
import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from starlette.requests import Request
from starlette.responses import Response

from neuropilot import audit, idempotency, passwords
from neuropilot.db import Tx, request_transaction
from neuropilot.errors import Problem
from neuropilot.listing import keyset_list
from neuropilot.models import User, UserCreate, UserUpdate
from neuropilot.queries import query
from neuropilot.responses import resource_etag, resource_response
from neuropilot.validation import check_if_match, path_id, read_json

CREATE_USER = query("CreateUser")
CREATE_AUDIT_ENTRY = query("CreateAuditEntry")
GET_USER = query("GetUser")
LOCK_USER = query("LockUser")
LIST_USERS = query("ListUsers")
UPDATE_USER = query("UpdateUser")
COUNT_ACTIVE_ADMINS = query("CountActiveAdmins")
REVOKE_USER_REFRESH_TOKENS = query("RevokeUserRefreshTokens")
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


async def list_users(request: Request) -> Response:
    """GET /v1/users (admin), by email; an admin read of users is audited."""

    async def audited(tx: Tx) -> None:
        await audit.record(tx, request, "user.list", "app_user", None)

    return await keyset_list(
        request,
        LIST_USERS,
        User,
        {},
        ("after_email", "after_id"),
        lambda u: [u.email, str(u.id)],
        audited=audited,
    )


async def get_user(request: Request) -> Response:
    user_id = path_id(request, "user")
    async with request_transaction(request, readonly=False) as tx:
        row = await tx.one(GET_USER, {"id": user_id})
        if row is None:
            raise Problem(404, "No such user.")
        await audit.record(tx, request, "user.read", "app_user", user_id)
    return resource_response(msgspec.convert(row, User))


async def create_user_route(request: Request) -> Response:
    body = await read_json(request, UserCreate)
    password_hash = await anyio.to_thread.run_sync(passwords.hash_password, body.password)
    fields = {"email": body.email, "display_name": body.display_name, "role": body.role}
    async with request_transaction(request) as tx:
        await idempotency.begin(tx, request)
        user = msgspec.convert(await tx.one(CREATE_USER, fields | {"password_hash": password_hash}), User)
        await audit.record(tx, request, "user.create", "app_user", user.id, fields)
        return await idempotency.created(tx, request, user, f"/v1/users/{user.id}")


async def update_user(request: Request) -> Response:
    """PATCH /v1/users/{id} (admin): display name, role, active. A role change or deactivation
    ends the user's sessions at once; the last active admin cannot demote or deactivate themselves."""
    body = await read_json(request, UserUpdate)
    user_id = path_id(request, "user")
    changes = {f: getattr(body, f) for f in ("display_name", "role", "active") if getattr(body, f) is not msgspec.UNSET}
    async with request_transaction(request) as tx:
        current = await tx.one(LOCK_USER, {"id": user_id})
        if current is None:
            raise Problem(404, "No such user.")
        check_if_match(request, resource_etag(msgspec.convert(current, User)))
        row = await tx.one(UPDATE_USER, {"display_name": None, "role": None, "active": None, "id": user_id} | changes)
        admins = await tx.one(COUNT_ACTIVE_ADMINS)
        if admins is None or admins["n"] == 0:
            raise Problem(409, "This would leave no active admin.")
        if changes.get("role", current["role"]) != current["role"] or changes.get("active") is False:
            await tx.exec(REVOKE_USER_REFRESH_TOKENS, {"user_id": user_id, "reason": "role_or_active_change"})
        before = {f: current[f] for f in changes}
        await audit.record(tx, request, "user.update", "app_user", user_id, {"before": before, "after": changes})
    return resource_response(msgspec.convert(row, User))
