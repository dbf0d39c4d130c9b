"""Who is calling: bearer-token authentication, route guards, and the /v1/auth and /v1/me routes.

AuthenticationMiddleware verifies the bearer token without touching the database and leaves the
caller's Identity (or why there is none) in the request state; `guard` turns that into 401/403 per
route. Refresh tokens rotate on every use; presenting a spent one revokes its whole family.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import anyio.to_thread
import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from neuropilot import audit, passwords, webauth
from neuropilot.db import Database, Identity, Tx, identity_of, request_transaction
from neuropilot.errors import Problem
from neuropilot.models import LoginRequest, MeUpdate, RefreshRequest, TokenPair, User
from neuropilot.queries import query
from neuropilot.responses import json_response, resource_etag, resource_response
from neuropilot.tokens import TokenError, Tokens, token_hash
from neuropilot.validation import check_if_match, invalid, read_json

GET_USER_FOR_LOGIN = query("GetUserForLogin")
RECORD_LOGIN_FAILURE = query("RecordLoginFailure")
CREATE_REFRESH_TOKEN = query("CreateRefreshToken")
LOCK_REFRESH_TOKEN = query("LockRefreshToken")
SPEND_REFRESH_TOKEN = query("SpendRefreshToken")
REVOKE_REFRESH_FAMILY = query("RevokeRefreshFamily")
REVOKE_USER_REFRESH_TOKENS = query("RevokeUserRefreshTokens")
GET_USER = query("GetUser")
LOCK_USER = query("LockUser")
UPDATE_OWN_PROFILE = query("UpdateOwnProfile")

ALL_ROLES = ("admin", "manager", "counter", "viewer")
Endpoint = Callable[[Request], Awaitable[Response]]


def unauthorized(detail: str = "Sign in: a valid bearer token is required.") -> Problem:
    return Problem(401, detail, headers={"WWW-Authenticate": "Bearer"})


class AuthenticationMiddleware:
    """Puts the verified caller in scope['state']['identity'], or the reason in 'auth_error'."""

    def __init__(self, app: ASGIApp, tokens: Tokens) -> None:
        self.app = app
        self.tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            state = scope.setdefault("state", {})
            try:
                claims = self._claims(scope)
            except TokenError as exc:
                state["auth_error"] = str(exc)
            else:
                if claims is not None:
                    state["identity"] = Identity(claims.user_id, claims.role)
                    state["email"] = claims.email
        await self.app(scope, receive, send)

    def _claims(self, scope: Scope) -> Any:
        if b"access_token=" in scope.get("query_string", b""):
            raise TokenError("tokens are not accepted in the query string")
        header = next((v for k, v in scope["headers"] if k == b"authorization"), None)
        if header is None:
            return None
        scheme, _, token = bytes(header).decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise TokenError("use the Bearer scheme")
        return self.tokens.verify_access(token.strip())


def guard(endpoint: Endpoint, roles: tuple[str, ...] | None) -> Endpoint:
    """The endpoint, refused with 401 without a valid token and 403 for a role not in roles.

    roles=None marks a public route (login, refresh, health)."""
    if roles is None:
        return endpoint

    @functools.wraps(endpoint)
    async def guarded(request: Request) -> Response:
        identity: Identity | None = getattr(request.state, "identity", None)
        if identity is None:
            error = getattr(request.state, "auth_error", None)
            raise unauthorized(f"Sign in: {error}." if error else "Sign in: a valid bearer token is required.")
        if identity.role not in roles:
            raise Problem(403, "Your role may not do this.")
        return await endpoint(request)

    return guarded


@functools.cache
def _dummy_hash() -> str:
    return passwords.hash_password("not a real password, only for timing")


async def _verify_password(password_hash: str | None, password: str) -> bool:
    """Always one argon2 verification, so an unknown email costs what a wrong password costs."""
    return await anyio.to_thread.run_sync(passwords.verify, password_hash or _dummy_hash(), password)


async def _issue(tx: Tx, tokens: Tokens, user: dict[str, Any], family_id: Any, parent_id: Any = None) -> TokenPair:
    access = tokens.issue_access(str(user["id"]), user["email"], user["role"])
    refresh, claims = tokens.issue_refresh(str(user["id"]))
    await tx.exec(
        CREATE_REFRESH_TOKEN,
        {
            "id": uuid.UUID(claims.jti),
            "user_id": user["id"],
            "family_id": family_id,
            "parent_id": parent_id,
            "token_hash": token_hash(refresh),
            "expires_at": claims.expires_at,
        },
    )
    return TokenPair(access_token=access, refresh_token=refresh)


async def login(request: Request) -> Response:
    """POST /v1/auth/login: with `X-NeuroPilot-Client: web` (browser sign-in) the refresh token is set as
    an HttpOnly cookie and left out of the body."""
    web = webauth.cookie_mode(request, reads_cookie=False)
    body = await read_json(request, LoginRequest)
    ip = audit.client_ip(request)
    login_guard = request.state.login_guard
    if (wait := await login_guard.retry_after(body.email, ip)) is not None:
        raise Problem(429, "Too many failed sign-ins; try again later.", headers={"Retry-After": str(wait)})
    db: Database = request.state.db
    async with db.transaction() as tx:
        found = await tx.one(GET_USER_FOR_LOGIN, {"email": body.email})
    ok = await _verify_password(found["password_hash"] if found else None, body.password)
    if not (ok and found and found["active"]):
        request.state.metrics.login_failures.inc()
        await login_guard.failed(body.email, ip)
        async with db.transaction() as tx:
            await tx.exec(RECORD_LOGIN_FAILURE, {"email": body.email} | audit.request_meta(request))
        raise unauthorized("Invalid email or password.")
    await login_guard.succeeded(body.email)
    request.state.identity = identity = Identity(str(found["id"]), found["role"])
    async with db.transaction(identity) as tx:
        user = await tx.one(GET_USER, {"id": found["id"]})
        assert user is not None
        if passwords.needs_rehash(found["password_hash"]):
            new_hash = await anyio.to_thread.run_sync(passwords.hash_password, body.password)
            await tx.one(UPDATE_OWN_PROFILE, {"display_name": None, "password_hash": new_hash})
        pair = await _issue(tx, request.state.tokens, user, uuid.uuid4())
        await audit.record(tx, request, "auth.login", "app_user", user["id"])
    return webauth.tokens_response(pair) if web else json_response(pair)


async def refresh(request: Request) -> Response:
    """POST /v1/auth/refresh: with `X-NeuroPilot-Client: web` the refresh token is read from the cookie (no
    body) and the new one set there; a refused one clears it."""
    if not webauth.cookie_mode(request, reads_cookie=True):
        return json_response(await _rotate(request, (await read_json(request, RefreshRequest)).refresh_token))
    try:
        pair = await _rotate(request, await webauth.refresh_cookie(request))
    except Problem as problem:
        raise webauth.cleared(problem) from None
    return webauth.tokens_response(pair)


async def _rotate(request: Request, refresh_token: str) -> TokenPair:
    tokens: Tokens = request.state.tokens
    try:
        claims = tokens.verify_refresh(refresh_token)
    except TokenError as exc:
        raise unauthorized(f"Invalid refresh token: {exc}.") from None
    db: Database = request.state.db
    refused: str | None = None
    async with db.transaction(Identity(claims.user_id, "")) as tx:
        row = await tx.one(LOCK_REFRESH_TOKEN, {"token_hash": token_hash(refresh_token)})
        user = await tx.one(GET_USER, {"id": claims.user_id})
        if row is None or user is None:
            raise unauthorized("Invalid refresh token.")
        request.state.identity = identity = Identity(claims.user_id, user["role"])
        await tx.become(identity)
        refused = _refusal(row, user)
        if refused:
            await tx.exec(REVOKE_REFRESH_FAMILY, {"family_id": row["family_id"], "reason": refused})
            await audit.record(tx, request, f"auth.refresh_{refused}", "app_user", user["id"])
        else:
            await tx.exec(SPEND_REFRESH_TOKEN, {"id": row["id"]})
            pair = await _issue(tx, tokens, user, row["family_id"], row["id"])
            await audit.record(tx, request, "auth.refresh", "app_user", user["id"])
    if refused:  # after commit: the revocation and its audit row must survive the 401
        raise unauthorized("Invalid refresh token.")
    return pair


def _refusal(token: dict[str, Any], user: dict[str, Any]) -> str | None:
    if token["spent_at"] is not None:
        return "reuse"  # a spent token came back: it was stolen, or its successor was
    if token["revoked_at"] is not None:
        return "revoked"
    if token["expired"]:
        return "expired"
    if not user["active"]:
        return "inactive"
    return None


async def logout(request: Request) -> Response:
    """POST /v1/auth/logout: with `X-NeuroPilot-Client: web` the refresh token is read from the cookie (no
    body), which is cleared."""
    if webauth.cookie_mode(request, reads_cookie=True):
        await webauth.refuse_body(request)
        token = request.cookies.get(webauth.COOKIE)
        if token:
            await _end_family(request, token)
        return Response(status_code=204, headers={"Set-Cookie": webauth.CLEAR_COOKIE})
    await _end_family(request, (await read_json(request, RefreshRequest)).refresh_token)
    return Response(status_code=204)


async def _end_family(request: Request, refresh_token: str) -> None:
    try:
        claims = request.state.tokens.verify_refresh(refresh_token)
    except TokenError as exc:
        raise unauthorized(f"Invalid refresh token: {exc}.") from None
    identity = identity_of(request)
    if claims.user_id != identity.user_id:
        raise Problem(403, "That refresh token belongs to someone else.")
    async with request_transaction(request) as tx:
        row = await tx.one(LOCK_REFRESH_TOKEN, {"token_hash": token_hash(refresh_token)})
        if row is not None:
            await tx.exec(REVOKE_REFRESH_FAMILY, {"family_id": row["family_id"], "reason": "logout"})
            await audit.record(tx, request, "auth.logout", "app_user", identity.user_id)


async def get_me(request: Request) -> Response:
    async with request_transaction(request) as tx:
        row = await tx.one(GET_USER, {"id": identity_of(request).user_id})
    if row is None:  # deactivated users keep their row; a deleted one cannot exist, but be safe
        raise unauthorized()
    return resource_response(msgspec.convert(row, User))


async def update_me(request: Request) -> Response:
    body = await read_json(request, MeUpdate)
    identity = identity_of(request)
    async with request_transaction(request) as tx:
        current = await tx.one(LOCK_USER, {"id": identity.user_id})
        if current is None:
            raise unauthorized()
        check_if_match(request, resource_etag(msgspec.convert(current, User)))
        new_hash = await _new_password_hash(request, body, current)
        display_name = body.display_name if body.display_name is not msgspec.UNSET else None
        row = await tx.one(UPDATE_OWN_PROFILE, {"display_name": display_name, "password_hash": new_hash})
        changed = [f for f in ("display_name", "password") if getattr(body, f) is not msgspec.UNSET]
        if new_hash:
            await tx.exec(REVOKE_USER_REFRESH_TOKENS, {"user_id": identity.user_id, "reason": "password_change"})
        await audit.record(tx, request, "user.update_self", "app_user", identity.user_id, {"changed": changed})
    return resource_response(msgspec.convert(row, User))


async def _new_password_hash(request: Request, body: MeUpdate, current: dict[str, Any]) -> str | None:
    """The hash of the new password, once current_password proved the caller knows the old one.

    Wrong current passwords count as failed sign-ins, so a stolen access token cannot be used to
    guess the password at leisure."""
    if body.password is msgspec.UNSET:
        return None
    if body.current_password is msgspec.UNSET:
        raise invalid("$.current_password", "required to change the password")
    login_guard, ip = request.state.login_guard, audit.client_ip(request)
    if (wait := await login_guard.retry_after(current["email"], ip)) is not None:
        raise Problem(429, "Too many failed sign-ins; try again later.", headers={"Retry-After": str(wait)})
    if not await _verify_password(current["password_hash"], body.current_password):
        await login_guard.failed(current["email"], ip)
        raise invalid("$.current_password", "not your current password")
    return await anyio.to_thread.run_sync(passwords.hash_password, body.password)
