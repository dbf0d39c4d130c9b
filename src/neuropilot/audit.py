"""The audit trail: one row per write (and per admin read of users or audit), in the same
transaction as what it records, and GET /v1/audit for admins."""

from __future__ import annotations

import ipaddress
from typing import Any

import msgspec
from psycopg.types.json import Jsonb
from starlette.requests import Request
from starlette.responses import Response

from neuropilot.db import Tx, identity_of
from neuropilot.listing import keyset_list
from neuropilot.models import AuditEntry
from neuropilot.queries import query
from neuropilot.validation import invalid, time_param, uuid_param

CREATE_AUDIT_ENTRY = query("CreateAuditEntry")
LIST_AUDIT_ENTRIES = query("ListAuditEntries")
USER_AGENT_MAX = 512


def client_ip(request: Request) -> str | None:
    """The client address the edge resolved (trusted proxies applied), else the socket peer. With both rate
    limits off there is no rate limit layer to resolve it; the app's resolver (ratelimit.client_ip with the
    trusted proxies, in the state as client_address) does the same here, once."""
    resolved: str | None = getattr(request.state, "client_ip", None)
    if resolved is None and (resolve := getattr(request.state, "client_address", None)) is not None:
        resolved = request.state.client_ip = resolve(request.scope)
    return resolved or (request.client.host if request.client else None)


def request_meta(request: Request) -> dict[str, Any]:
    """ip and user_agent columns of an audit row (the agent truncated, a non-address left out)."""
    ip = client_ip(request)
    try:
        address = str(ipaddress.ip_address(ip)) if ip else None
    except ValueError:
        address = None
    return {"ip": address, "user_agent": (request.headers.get("user-agent") or "")[:USER_AGENT_MAX] or None}


def _dumps(value: Any) -> str:
    return msgspec.json.encode(value).decode()  # Decimals as strings, UUIDs and times as text


def details_param(details: dict[str, Any] | None) -> Jsonb | None:
    """The details column's parameter: JSON, decimals as strings."""
    return Jsonb(details, dumps=_dumps) if details is not None else None


async def record(
    tx: Tx, request: Request, action: str, entity: str, entity_id: Any, details: dict[str, Any] | None = None
) -> None:
    """Append the audit row of what this request did, as its caller, inside its transaction."""
    actor = identity_of(request).user_id or None
    await tx.exec(
        CREATE_AUDIT_ENTRY,
        {
            "actor_id": actor,
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "details": details_param(details),
        }
        | request_meta(request),
    )


def _filters(request: Request) -> dict[str, Any]:
    return {
        "entity": request.query_params.get("entity"),
        "entity_id": uuid_param(request, "entity_id"),
        "actor_id": uuid_param(request, "actor_id"),
        "since": time_param(request, "since"),
    }


def _id_cursor(values: list[Any]) -> list[Any]:
    if not all(type(value) is int and 0 < value < 2**63 for value in values):  # an audit_log.id (bigint)
        raise invalid("cursor", "not a cursor this API returned")
    return values


async def list_audit(request: Request) -> Response:
    """GET /v1/audit (admin): newest first; reading the trail is itself audited."""
    filters = _filters(request)

    async def audited(tx: Tx) -> None:
        await record(tx, request, "audit.read", "audit_log", None, {k: str(v) for k, v in filters.items() if v})

    return await keyset_list(
        request,
        LIST_AUDIT_ENTRIES,
        AuditEntry,
        filters,
        ("before_id",),
        lambda e: [e.id],
        audited=audited,
        cursor=_id_cursor,
    )
