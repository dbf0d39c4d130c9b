"""RFC 9457 problem details: the one shape every error response takes.

Database errors are mapped here and nowhere else; a response never carries SQL, a driver message
or a stack trace, only a title, a detail written for the client, and the request id.
"""

from __future__ import annotations

from typing import Any

import msgspec
import psycopg
import structlog
from psycopg import errors as pgerr
from psycopg_pool import PoolTimeout
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

log = structlog.get_logger("neuropilot")

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    412: "Precondition Failed",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class Problem(Exception):
    """Raise anywhere in a handler to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        errors: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}
        self.errors = errors


_encoder = msgspec.json.Encoder()


def problem_response(
    request_id: str,
    status: int,
    detail: str,
    headers: dict[str, str] | None = None,
    errors: list[dict[str, str]] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "request_id": request_id,
    }
    if errors:
        body["errors"] = errors
    return Response(_encoder.encode(body), status, headers, media_type="application/problem+json")


def request_id_of(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", ""))


def from_database(exc: psycopg.Error) -> Problem:
    """What a database error means to the client."""
    if isinstance(exc, PoolTimeout):
        return Problem(503, "The database is busy; retry shortly.", headers={"Retry-After": "1"})
    if isinstance(exc, pgerr.QueryCanceled):
        return Problem(503, "The request took too long and was cancelled.", headers={"Retry-After": "1"})
    if isinstance(exc, pgerr.UniqueViolation):
        return Problem(409, "A record with the same unique value already exists.")
    if isinstance(exc, pgerr.RestrictViolation):  # PostgreSQL 18 reports ON DELETE RESTRICT so
        return Problem(409, "The record is still referenced by history; deactivate it instead.")
    if isinstance(exc, pgerr.ForeignKeyViolation):
        if "still referenced" in (exc.diag.message_detail or ""):
            return Problem(409, "The record is still referenced by history; deactivate it instead.")
        return Problem(422, "A referenced record does not exist.")
    if isinstance(exc, pgerr.InsufficientPrivilege):
        return Problem(403, "Your role may not do this.")
    if isinstance(exc, pgerr.NumericValueOutOfRange):  # inputs fit their columns; a sum (on-hand) may not
        return Problem(422, "A resulting quantity or amount would be larger than the ledger can hold.")
    if isinstance(exc, pgerr.CheckViolation) and exc.diag.constraint_name == "movement_cold_chain":
        # The cold-chain trigger (sql/schema/0011) words its message for clients: "X is kept in the …".
        message = exc.diag.message_primary or "the location is in the wrong zone for this item"
        return Problem(422, message, errors=[{"path": "$", "message": message}])
    if isinstance(exc, pgerr.IntegrityError | pgerr.DataError):
        return Problem(422, "The values break a rule of the data.")
    if isinstance(exc, psycopg.OperationalError):
        return Problem(503, "The database is unavailable; retry shortly.", headers={"Retry-After": "5"})
    return Problem(500, "Something went wrong on our side.")


async def handle_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return problem_response(request_id_of(request), exc.status, exc.detail, exc.headers, exc.errors)


async def handle_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if exc.status_code != 404 else "No such resource."
    return problem_response(request_id_of(request), exc.status_code, detail, dict(exc.headers or {}))


async def handle_database(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, psycopg.Error)
    problem = from_database(exc)
    log.warning(
        "database_error", sqlstate=getattr(exc, "sqlstate", None), error=type(exc).__name__, status=problem.status
    )
    return await handle_problem(request, problem)


EXCEPTION_HANDLERS = {Problem: handle_problem, HTTPException: handle_http, psycopg.Error: handle_database}
