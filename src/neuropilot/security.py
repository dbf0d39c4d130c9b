"""Edge middleware (plain ASGI): security headers, strict CORS, request body limit, gzip.

The security headers are added by the outermost layer (observability.RequestContextMiddleware, given
default_headers), so the last-resort 500 carries them too. edge_middleware runs inside it, so every error
it answers with carries the request id.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence

from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from neuropilot.config import Settings
from neuropilot.errors import problem_response, request_id_of

MAX_BODY_BYTES = 512 * 1024
GZIP_MINIMUM_BYTES = 1024

RawHeaders = list[tuple[bytes, bytes]]

SECURITY_HEADERS: RawHeaders = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]
HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")

CORS_ALLOW_METHODS = "GET, POST, PATCH, DELETE, OPTIONS"
CORS_ALLOW_HEADERS = "Authorization, Content-Type, Idempotency-Key, If-Match, X-Request-ID"
CORS_EXPOSE_HEADERS = "ETag, X-Request-ID, Retry-After"
CORS_MAX_AGE = "600"


def default_headers(settings: Settings) -> RawHeaders:
    """The headers every response carries unless it sets its own (HSTS in production)."""
    return [*SECURITY_HEADERS, HSTS] if settings.production else SECURITY_HEADERS


def edge_middleware(settings: Settings, larger_bodies: Sequence[tuple[str, str, int]] = ()) -> list[Middleware]:
    """larger_bodies: (method, path template, limit) of the routes that take more than MAX_BODY_BYTES."""
    cors = [Middleware(StrictCORSMiddleware, origins=settings.cors_origins)] if settings.cors_origins else []
    return [
        *cors,
        Middleware(BodyLimitMiddleware, max_bytes=MAX_BODY_BYTES, larger=larger_bodies),
        Middleware(Compression, minimum_size=GZIP_MINIMUM_BYTES),
    ]


def header_values(scope: Scope, name: bytes) -> list[bytes]:
    return [value for key, value in scope["headers"] if key.lower() == name]


async def send_problem(scope: Scope, receive: Receive, send: Send, status: int, detail: str) -> None:
    await problem_response(request_id_of(Request(scope)), status, detail)(scope, receive, send)


_DEFAULT_NAMES = frozenset(key for key, _ in [*SECURITY_HEADERS, HSTS, (b"server", b"")])


def with_defaults(headers: Sequence[tuple[bytes, bytes]], defaults: Sequence[tuple[bytes, bytes]]) -> RawHeaders:
    """The response's own headers win; `server` is dropped so no version banner leaves the app.

    Most responses set none of these names: then that is the whole answer, without the filtering."""
    if _DEFAULT_NAMES.isdisjoint([key.lower() for key, _ in headers]):
        return [*headers, *defaults]
    kept = [(key, value) for key, value in headers if key.lower() != b"server"]
    present = {key.lower() for key, _ in kept}
    return kept + [(key, value) for key, value in defaults if key not in present]


class StrictCORSMiddleware:
    """CORS for an exact list of origins: no wildcards, no patterns, no normalisation.

    `*` and `null` are dropped from the list: `*` must not act as a wildcard (nor match an Origin header
    that literally says `*`), and `null` is what sandboxed frames and file:// pages send.
    """

    def __init__(self, app: ASGIApp, *, origins: Iterable[str]) -> None:
        self.app = app
        self.origins = frozenset(origin for origin in origins if origin not in ("*", "null"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origins = header_values(scope, b"origin")
        allowed = origins[0].decode("latin-1") if len(origins) == 1 else None
        if allowed not in self.origins:
            allowed = None
        if scope["method"] == "OPTIONS" and origins and header_values(scope, b"access-control-request-method"):
            await self.preflight(scope, receive, send, allowed)
            return
        await self.app(scope, receive, self.sender(send, allowed))

    async def preflight(self, scope: Scope, receive: Receive, send: Send, origin: str | None) -> None:
        if origin is None:
            await send_problem(scope, receive, send, 403, "This origin may not call the API.")
            return
        headers = {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Credentials": "true",
            "Access-Control-Allow-Methods": CORS_ALLOW_METHODS,
            "Access-Control-Allow-Headers": CORS_ALLOW_HEADERS,
            "Access-Control-Max-Age": CORS_MAX_AGE,
            "Vary": "Origin",
        }
        await Response(status_code=204, headers=headers)(scope, receive, send)

    @staticmethod
    def sender(send: Send, origin: str | None) -> Send:
        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                cors_headers(MutableHeaders(scope=message), origin)
            await send(message)

        return send_with_cors


def cors_headers(headers: MutableHeaders, origin: str | None) -> None:
    """This middleware alone decides CORS: whatever an inner layer set is replaced or removed."""
    for name in {key for key in headers if key.startswith("access-control-")}:
        del headers[name]
    # Vary on every response, not only to requests with Origin: a cache must not hand a response
    # made for one origin (or for none) to another.
    headers.add_vary_header("Origin")
    if origin is not None:
        headers["Access-Control-Allow-Origin"] = origin
        headers["Access-Control-Allow-Credentials"] = "true"
        headers["Access-Control-Expose-Headers"] = CORS_EXPOSE_HEADERS


class Compression:
    """Starlette's GZipMiddleware when the client accepts gzip; otherwise the same answer without it.

    Starlette builds an IdentityResponder (headers parsed twice, content types normalised) for every
    request that does not accept gzip, such as every API client that never asks for it; all that
    responder does is add `Vary: Accept-Encoding` to a body that could have been compressed. This does
    that directly (measured: docs/performance.md, session 4)."""

    def __init__(self, app: ASGIApp, *, minimum_size: int) -> None:
        self.app = app
        self.minimum_size = minimum_size
        self.gzip = GZipMiddleware(app, minimum_size=minimum_size)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for key, value in scope["headers"]:
            if key == b"accept-encoding":  # the first one, as Starlette reads it
                if b"gzip" in value:
                    await self.gzip(scope, receive, send)
                    return
                break
        await self.app(scope, receive, _IdentitySender(send, self.minimum_size).send)


class _IdentitySender:
    """What Starlette's IdentityResponder sends: the start held until the first body shows whether it
    was large enough to compress (or streamed); then `Vary: Accept-Encoding` is added, unless the
    answer is already encoded, partial, or of a type gzip leaves alone."""

    __slots__ = ("_send", "minimum_size", "start")

    def __init__(self, send: Send, minimum_size: int) -> None:
        self._send = send
        self.minimum_size = minimum_size
        self.start: Message | None = None

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = message.setdefault("headers", [])
            if message["status"] != 206 and not _skips_compression(headers):
                self.start = message
                return
        elif (start := self.start) is not None and message["type"] in _BODIES:
            self.start = None
            if message["type"] == "http.response.body" and (
                message.get("more_body", False) or len(message.get("body", b"")) >= self.minimum_size
            ):
                _add_vary(start["headers"], b"Accept-Encoding")
            await self._send(start)
        await self._send(message)


def _skips_compression(headers: RawHeaders) -> bool:
    media: str | None = None
    for key, value in headers:
        name = key.lower()
        if name == b"content-encoding":
            return True
        if name == b"content-type" and media is None:
            media = value.decode("latin-1").partition(";")[0].strip().lower()
    if not media:
        return False
    grpc = media.startswith("application/grpc+")
    return media in _NEVER_GZIPPED or media.partition("/")[0] + "/*" in _NEVER_GZIPPED or grpc


_NEVER_GZIPPED = frozenset(DEFAULT_EXCLUDED_CONTENT_TYPES)
_BODIES = frozenset(("http.response.body", "http.response.pathsend"))


def _add_vary(headers: RawHeaders, token: bytes) -> None:
    """As MutableHeaders.add_vary_header: appended to the first Vary, or a new one."""
    for i, (key, value) in enumerate(headers):
        if key.lower() == b"vary":
            headers[i] = (key, value + b", " + token)
            return
    headers.append((b"vary", token))


class BodyTooLarge(Exception):
    """Raised from receive() past the limit. No exception handler knows it, so it unwinds to the middleware."""


class MalformedContentLength(ValueError):
    pass


def declared_length(scope: Scope) -> int | None:
    values = {value.strip() for value in header_values(scope, b"content-length")}
    if not values:
        return None
    value = values.pop()
    if values or not value.isdigit():
        raise MalformedContentLength
    return int(value) if len(value) <= 18 else sys.maxsize  # int() of a huge digit string costs time


class BodyLimitMiddleware:
    """413 for a body over max_bytes (or over the larger limit of a route that takes one, e.g. a CSV
    import), declared by Content-Length or counted as it arrives (chunked)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, larger: Sequence[tuple[str, str, int]] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = [(method, compile_path(path)[0], limit) for method, path, limit in larger]

    def limit(self, scope: Scope) -> int:
        for method, pattern, limit in self.larger:
            if scope["method"] == method and pattern.match(scope["path"]):
                return limit
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope)
        try:
            declared = declared_length(scope)
        except MalformedContentLength:
            await send_problem(scope, receive, send, 400, "The Content-Length header is malformed.")
            return
        if declared is not None and declared > limit:
            await send_problem(scope, receive, send, 413, self.too_large(limit))
            return
        await self.guarded(scope, receive, send, limit)

    @staticmethod
    def too_large(limit: int) -> str:
        return f"The request body is larger than {limit} bytes."

    async def guarded(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        guard = BodyGuard(receive, send, limit)
        try:
            await self.app(scope, guard.receive, guard.send)
        except Exception:
            # Once the limit is crossed, whatever the app raised next (ours, or something it made of ours)
            # is a consequence of the cut-off body; the 413 below is the answer.
            if not guard.exceeded:
                raise
        if guard.exceeded and not guard.started:
            await send_problem(scope, receive, send, 413, self.too_large(limit))


class BodyGuard:
    """Counts request bytes as the app reads them; past the limit, receive() raises and the body stops."""

    def __init__(self, receive: Receive, send: Send, max_bytes: int) -> None:
        self._receive = receive
        self._send = send
        self.max_bytes = max_bytes
        self.received = 0
        self.exceeded = False
        self.started = False

    async def receive(self) -> Message:
        if self.exceeded:
            raise BodyTooLarge
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.max_bytes:
                self.exceeded = True
                raise BodyTooLarge
        return message

    async def send(self, message: Message) -> None:
        if self.exceeded and not self.started:
            return  # the app's answer to a body it never fully got is replaced by the 413
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)
