"""msgspec Structs at the edges: one per request body and one per response row.

The same types validate requests (422 naming the field's path) and, later, generate OpenAPI.
Quantities and money are Decimal end to end and travel as JSON strings.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

Role = Literal["admin", "manager", "counter", "viewer"]
Email = Annotated[str, Meta(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Password = Annotated[str, Meta(max_length=1024)]
NewPassword = Annotated[str, Meta(min_length=12, max_length=1024)]
DisplayName = Annotated[str, Meta(min_length=1, max_length=200)]


class Body(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Request bodies refuse fields they do not know: a typo must not be silently ignored."""


class LoginRequest(Body):
    email: Email
    password: Password


class RefreshRequest(Body):
    refresh_token: Annotated[str, Meta(min_length=1, max_length=4096)]


class TokenPair(msgspec.Struct, kw_only=True):
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"  # noqa: S105 - the scheme's name, not a secret
    expires_in: int = 900


class User(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    email: str
    display_name: str
    role: Role
    active: bool
    created_at: datetime
    updated_at: datetime


class MeUpdate(Body):
    display_name: DisplayName | msgspec.UnsetType = msgspec.UNSET
    password: NewPassword | msgspec.UnsetType = msgspec.UNSET
    current_password: Password | msgspec.UnsetType = msgspec.UNSET


class UserCreate(Body):
    email: Email
    display_name: DisplayName
    role: Role
    password: NewPassword


class UserUpdate(Body):
    display_name: DisplayName | msgspec.UnsetType = msgspec.UNSET
    role: Role | msgspec.UnsetType = msgspec.UNSET
    active: bool | msgspec.UnsetType = msgspec.UNSET


class AuditEntry(msgspec.Struct, kw_only=True):
    id: int
    actor_id: uuid.UUID | None
    action: str
    entity: str
    entity_id: uuid.UUID | None
    details: dict[str, object] | None
    ip: str | None
    user_agent: str | None
    created_at: datetime


# --- inventory: items, locations, counts, movements, transfers (inventory.py) ---


# --- stock and reports (stock.py) ---
