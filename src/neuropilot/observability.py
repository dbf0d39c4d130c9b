"""Request ids, the one JSON log line per request, and the last-resort 500.

RequestContextMiddleware is the outermost layer: it accepts or generates X-Request-ID, binds it
to every log line of the request, times the request, logs it with its route template, and turns
an unhandled exception into a problem response that tells the client nothing about internals.
It also adds the security headers (security.default_headers) to every response, that 500 included:
one send wrapper for both instead of a layer each.
"""

from __future__ import annotations

import datetime
import logging
import os
import re
import sys
import time
from collections.abc import Sequence
from typing import Any

import msgspec
import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from neuropilot.errors import problem_response
from neuropilot.security import with_defaults

_CLIENT_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
log = structlog.get_logger("neuropilot")


class _RequestLine:
    """The per-request line, rendered here: the same JSON object structlog's chain below would make
    (its context variables, level, ISO UTC timestamp), encoded by msgspec in one call instead of
    five processors and json.dumps (docs/performance.md, session 4). Used only while structlog still
    runs the configuration configure_logging installed; a caller that reconfigured it (a test, a
    benchmark silencing the lines) gets the ordinary structlog call."""

    def __init__(self, factory: Any, enabled: bool) -> None:
        self.factory, self.enabled = factory, enabled
        self.printer = factory()  # structlog's own PrintLogger: the same file, lock and flush as every line
        self.encode = msgspec.json.Encoder().encode

    def active(self) -> bool:
        return structlog.get_config()["logger_factory"] is self.factory

    def write(self, fields: dict[str, Any]) -> None:
        if not self.enabled:
            return
        line = fields | {"event": "request"}
        for key, value in structlog.contextvars.get_contextvars().items():
            line.setdefault(key, value)
        line["level"] = "info"
        line["timestamp"] = datetime.datetime.now(tz=datetime.UTC).isoformat().replace("+00:00", "Z")
        self.printer.msg(self.encode(line).decode())


_request_line: _RequestLine | None = None


def configure_logging(level: int = logging.INFO) -> None:
    global _request_line
    factory = structlog.PrintLoggerFactory(sys.stdout)
    _request_line = _RequestLine(factory, level <= logging.INFO)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=factory,
        cache_logger_on_first_use=True,
    )


def request_id_from(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate = bytes(value).decode("latin-1")
            if _CLIENT_ID.match(candidate):
                return candidate
            break
    return new_request_id()


def new_request_id() -> str:
    """What uuid.uuid4().hex returns (16 random bytes, version 4, RFC 4122 variant), without building the
    UUID object: about a third of its cost inside a request (docs/performance.md, session 5)."""
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40
    raw[8] = raw[8] & 0x3F | 0x80
    return raw.hex()


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, security_headers: Sequence[tuple[bytes, bytes]] = ()) -> None:
        self.app = app
        self.security_headers = security_headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status, response_started = message["status"], True
                headers = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
                message["headers"] = with_defaults(headers, self.security_headers)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled_error")
            if not response_started:
                await problem_response(request_id, 500, "Something went wrong on our side.")(
                    scope, receive, send_with_id
                )
        finally:
            self._log(scope, status, started)
            structlog.contextvars.clear_contextvars()

    @staticmethod
    def _log(scope: Scope, status: int, started: float) -> None:
        seconds = time.perf_counter() - started
        route = getattr(scope.get("route"), "path", None) or "<unmatched>"
        state = scope.get("state", {})
        fields: dict[str, Any] = {
            "method": scope["method"],
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
            "user_id": getattr(state.get("identity"), "user_id", None),
        }
        if _request_line is not None and _request_line.active():
            _request_line.write(fields)
        else:
            log.info("request", **fields)
        if (metrics := state.get("metrics")) is not None:
            metrics.observe_request(route, scope["method"], status, seconds)
