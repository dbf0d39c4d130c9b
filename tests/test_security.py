"""The edge (CONTRACT §6): security headers, strict CORS, the 512 KiB body limit, gzip — each one attacked."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from neuropilot.app import create_app
from neuropilot.security import MAX_BODY_BYTES
from tests.conftest import settings_for
from tests.pg import Db

ALLOWED = "https://app.example.com"
OTHER_ORIGINS = [
    "https://app.example.com.evil.test",
    "https://app.example.com:443",
    "http://app.example.com",
    "https://APP.example.com",
    "https://app.example.com/",
    " https://app.example.com",
    "https://sub.app.example.com",
    "https://app.example.co",
    "https://evil.test",
    f"{ALLOWED}, https://evil.test",
    "null",
    "*",
    "",
]
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-resource-policy": "same-origin",
    "cache-control": "no-store",
}
HSTS = "max-age=63072000; includeSubDomains"
PRODUCTION = {"env": "production", "jwt_keys": (("k1", "p" * 48),)}
LARGE = {"rows": [{"id": n, "name": f"item number {n}"} for n in range(200)]}


@dataclass
class Probe:
    """What the test handlers saw of the request body."""

    totals: list[int] = field(default_factory=list)  # running byte count after each chunk
    finished: int = 0


def probe_routes(probe: Probe) -> list[Route]:
    async def explode(request: Request) -> Response:
        raise RuntimeError("boom")

    async def echo(request: Request) -> Response:
        body = await request.body()
        probe.totals.append(len(body))
        probe.finished += 1
        return JSONResponse({"length": len(body)})

    async def count(request: Request) -> Response:
        total = 0
        async for chunk in request.stream():
            total += len(chunk)
            probe.totals.append(total)
        probe.finished += 1
        return JSONResponse({"length": total})

    async def swallow(request: Request) -> Response:
        try:
            await request.body()
        except Exception:
            return JSONResponse({"swallowed": True}, 400)
        return JSONResponse({"swallowed": False})

    async def rewrap(request: Request) -> Response:
        try:
            await request.body()
        except Exception as exc:
            raise RuntimeError("the body went wrong") from exc
        return JSONResponse({"rewrapped": False})

    async def own_headers(request: Request) -> Response:
        headers = {"Content-Security-Policy": "default-src 'self'", "Cache-Control": "max-age=60", "Server": "leak/1"}
        return Response("ok", headers=headers)

    async def leaky_cors(request: Request) -> Response:
        headers = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": "true"}
        return Response("ok", headers=headers)

    async def large(request: Request) -> Response:
        return JSONResponse(LARGE)

    async def small(request: Request) -> Response:
        return JSONResponse({"ok": True})

    return [
        Route("/test/explode", explode),
        Route("/test/echo", echo, methods=["POST"]),
        Route("/test/count", count, methods=["POST"]),
        Route("/test/swallow", swallow, methods=["POST"]),
        Route("/test/rewrap", rewrap, methods=["POST"]),
        Route("/test/own-headers", own_headers),
        Route("/test/leaky-cors", leaky_cors),
        Route("/test/large", large),
        Route("/test/small", small),
    ]


def build_app(database: Db, probe: Probe, **overrides: Any) -> Starlette:
    app = create_app(settings_for(database, **overrides))
    app.router.routes.extend(probe_routes(probe))
    return app


@contextmanager
def serve(database: Db, **overrides: Any) -> Iterator[tuple[TestClient, Probe]]:
    probe = Probe()
    with TestClient(build_app(database, probe, **overrides), raise_server_exceptions=False) as client:
        yield client, probe


@pytest.fixture
def edge(database: Db) -> Iterator[tuple[TestClient, Probe]]:
    with serve(database, cors_origins=(ALLOWED,)) as pair:
        yield pair


@pytest.fixture
def edge_client(edge: tuple[TestClient, Probe]) -> TestClient:
    return edge[0]


def assert_problem(r: httpx2.Response, status: int) -> None:
    assert r.status_code == status
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == status
    assert body["request_id"] == r.headers["x-request-id"]


def assert_security_headers(r: httpx2.Response, *, hsts: bool) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert r.headers.get_list(name) == [value], name
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "server" not in r.headers
    assert r.headers.get_list("strict-transport-security") == ([HSTS] if hsts else [])


def cors_headers_of(r: httpx2.Response) -> dict[str, str]:
    return {name: value for name, value in r.headers.items() if name.startswith("access-control-")}


def vary_of(r: httpx2.Response) -> list[str]:
    return [token.strip().lower() for value in r.headers.get_list("vary") for token in value.split(",")]


def preflight(origin: str) -> dict[str, str]:
    return {"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}


# One request of every kind the edge answers: (method, path, request headers, expected status).
EVERY_KIND = [
    ("GET", "/health", {}, 200),
    ("GET", "/v1/nothing-here", {}, 404),
    ("DELETE", "/health", {}, 405),
    ("POST", "/test/echo", {"Content-Length": str(MAX_BODY_BYTES + 1)}, 413),
    ("POST", "/test/echo", {"Content-Length": "twelve"}, 400),
    ("GET", "/test/explode", {}, 500),
    ("OPTIONS", "/health", preflight(ALLOWED), 204),
    ("OPTIONS", "/health", preflight("https://evil.test"), 403),
    ("GET", "/test/large", {"Accept-Encoding": "gzip"}, 200),
]
KIND_IDS = ["200", "404", "405", "413", "400", "500", "preflight-204", "preflight-403", "gzip"]


# Security headers


@pytest.mark.parametrize(("method", "path", "headers", "status"), EVERY_KIND, ids=KIND_IDS)
def test_every_response_carries_security_headers(
    edge_client: TestClient, method: str, path: str, headers: dict[str, str], status: int
) -> None:
    r = edge_client.request(method, path, headers=headers)
    assert r.status_code == status
    assert_security_headers(r, hsts=False)
    if status >= 400:
        assert_problem(r, status)


def test_hsts_only_in_production(database: Db) -> None:
    with serve(database, cors_origins=(ALLOWED,), **PRODUCTION) as (client, _):
        for method, path, headers, status in EVERY_KIND:
            r = client.request(method, path, headers=headers)
            assert r.status_code == status
            assert_security_headers(r, hsts=True)


def test_a_route_may_set_its_own_csp_and_cache_control_but_not_a_server_banner(edge_client: TestClient) -> None:
    r = edge_client.get("/test/own-headers")
    assert r.headers.get_list("content-security-policy") == ["default-src 'self'"]
    assert r.headers.get_list("cache-control") == ["max-age=60"]
    assert r.headers["x-frame-options"] == "DENY"
    assert "server" not in r.headers


# CORS


@pytest.mark.parametrize("path", ["/health", "/v1/nothing-here"])
def test_allowed_origin_is_echoed_with_credentials_vary_and_exposed_headers(edge_client: TestClient, path: str) -> None:
    r = edge_client.get(path, headers={"Origin": ALLOWED})
    assert r.headers.get_list("access-control-allow-origin") == [ALLOWED]
    assert r.headers.get_list("access-control-allow-credentials") == ["true"]
    assert "origin" in vary_of(r)
    exposed = {name.strip().lower() for name in r.headers["access-control-expose-headers"].split(",")}
    assert exposed == {"etag", "x-request-id", "retry-after"}


def test_allowed_origin_can_read_a_413(edge_client: TestClient) -> None:
    r = edge_client.post("/test/echo", headers={"Origin": ALLOWED, "Content-Length": str(MAX_BODY_BYTES + 1)})
    assert_problem(r, 413)
    assert r.headers["access-control-allow-origin"] == ALLOWED


@pytest.mark.parametrize("origin", OTHER_ORIGINS)
def test_any_other_origin_gets_no_cors_headers(edge_client: TestClient, origin: str) -> None:
    r = edge_client.get("/health", headers={"Origin": origin})
    assert r.status_code == 200  # served; it is the browser that withholds the body
    assert cors_headers_of(r) == {}
    assert "origin" in vary_of(r)


def test_two_origin_headers_get_no_cors_headers(edge_client: TestClient) -> None:
    r = edge_client.get("/health", headers=[("Origin", ALLOWED), ("Origin", "https://evil.test")])
    assert cors_headers_of(r) == {}
    r = edge_client.get("/health", headers=[("Origin", ALLOWED), ("Origin", ALLOWED)])
    assert cors_headers_of(r) == {}


def test_an_inner_layer_cannot_grant_cors(edge_client: TestClient) -> None:
    r = edge_client.get("/test/leaky-cors", headers={"Origin": "https://evil.test"})
    assert cors_headers_of(r) == {}
    r = edge_client.get("/test/leaky-cors", headers={"Origin": ALLOWED})
    assert r.headers.get_list("access-control-allow-origin") == [ALLOWED]


def test_preflight_from_allowed_origin(edge_client: TestClient) -> None:
    r = edge_client.options("/v1/items", headers=preflight(ALLOWED))
    assert r.status_code == 204
    assert r.content == b""
    assert cors_headers_of(r) == {
        "access-control-allow-origin": ALLOWED,
        "access-control-allow-credentials": "true",
        "access-control-allow-methods": "GET, POST, PATCH, DELETE, OPTIONS",
        "access-control-allow-headers": "Authorization, Content-Type, Idempotency-Key, If-Match, X-Request-ID",
        "access-control-max-age": "600",
    }
    assert "origin" in vary_of(r)
    assert r.headers["x-request-id"]


@pytest.mark.parametrize("origin", OTHER_ORIGINS)
def test_preflight_from_any_other_origin_is_refused(edge_client: TestClient, origin: str) -> None:
    r = edge_client.options("/v1/items", headers=preflight(origin))
    assert_problem(r, 403)
    assert cors_headers_of(r) == {}


def test_options_without_request_method_is_not_a_preflight(edge_client: TestClient) -> None:
    r = edge_client.options("/health", headers={"Origin": ALLOWED})
    assert_problem(r, 405)
    assert r.headers["access-control-allow-origin"] == ALLOWED


@pytest.mark.parametrize("configured", [("*",), ("null",), ("*", "null")])
def test_wildcard_or_null_in_config_matches_nothing(database: Db, configured: tuple[str, ...]) -> None:
    with serve(database, cors_origins=(*configured, ALLOWED)) as (client, _):
        for origin in ("*", "null", "https://evil.test"):
            assert cors_headers_of(client.get("/health", headers={"Origin": origin})) == {}
            assert_problem(client.options("/health", headers=preflight(origin)), 403)
        assert client.get("/health", headers={"Origin": ALLOWED}).headers["access-control-allow-origin"] == ALLOWED


def test_no_cors_at_all_when_no_origins_configured(database: Db) -> None:
    with serve(database) as (client, _):
        r = client.get("/health", headers={"Origin": ALLOWED})
        assert cors_headers_of(r) == {}
        assert "origin" not in vary_of(r)
        r = client.options("/health", headers=preflight(ALLOWED))
        assert_problem(r, 405)
        assert cors_headers_of(r) == {}


# Body limit


def chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    while total > 0:
        yield b"x" * min(size, total)
        total -= size


def test_declared_length_over_the_limit_is_413_before_reading(edge: tuple[TestClient, Probe]) -> None:
    client, probe = edge
    assert_problem(client.post("/test/echo", headers={"Content-Length": str(MAX_BODY_BYTES + 1)}, content=b"{}"), 413)
    assert_problem(client.post("/test/echo", headers={"Content-Length": "9" * 40}), 413)
    assert_problem(client.post("/test/echo", content=b"x" * (MAX_BODY_BYTES + 1)), 413)
    assert probe.totals == [] and probe.finished == 0


def test_chunked_body_over_the_limit_is_413_and_never_reaches_the_handler(edge: tuple[TestClient, Probe]) -> None:
    client, probe = edge
    for path in ("/test/echo", "/test/count"):
        r = client.post(path, content=chunks(MAX_BODY_BYTES + 1))
        assert "content-length" not in r.request.headers and r.request.headers["transfer-encoding"] == "chunked"
        assert_problem(r, 413)
    assert probe.finished == 0
    assert all(total <= MAX_BODY_BYTES for total in probe.totals)


@pytest.mark.parametrize("path", ["/test/swallow", "/test/rewrap"])
def test_a_handler_that_catches_the_error_still_answers_413(edge_client: TestClient, path: str) -> None:
    assert_problem(edge_client.post(path, content=chunks(MAX_BODY_BYTES + 1)), 413)
    r = edge_client.post(path, content=chunks(MAX_BODY_BYTES))
    assert r.status_code == 200 and r.json() in ({"swallowed": False}, {"rewrapped": False})


def test_chunked_body_is_cut_off_at_the_chunk_that_crosses_the_limit(database: Db) -> None:
    """At the ASGI level, where the body really arrives in pieces (TestClient joins them into one)."""
    probe, chunk = Probe(), 64 * 1024
    app = build_app(database, probe)
    pulled: list[int] = []
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        pulled.append(chunk)
        return {"type": "http.request", "body": b"x" * chunk, "more_body": len(pulled) < 12}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    headers = [(b"transfer-encoding", b"chunked"), (b"x-request-id", b"cut-off-1")]
    scope = {"type": "http", "method": "POST", "path": "/test/count", "headers": headers, "query_string": b""}
    asyncio.run(app(scope, receive, send))
    assert len(pulled) == MAX_BODY_BYTES // chunk + 1  # the crossing chunk is read, never handed on
    assert probe.totals[-1] == MAX_BODY_BYTES and probe.finished == 0
    start, body = sent[0], b"".join(m.get("body", b"") for m in sent[1:])
    assert start["status"] == 413
    assert dict(start["headers"])[b"content-type"] == b"application/problem+json"
    assert dict(start["headers"])[b"x-frame-options"] == b"DENY"
    assert json.loads(body)["request_id"] == "cut-off-1"


@pytest.mark.parametrize("chunked", [False, True])
def test_exactly_512_kib_is_accepted(edge: tuple[TestClient, Probe], chunked: bool) -> None:
    client, probe = edge
    content = chunks(MAX_BODY_BYTES) if chunked else b"x" * MAX_BODY_BYTES
    r = client.post("/test/echo", content=content)
    assert r.status_code == 200
    assert r.json() == {"length": MAX_BODY_BYTES}
    assert probe.totals == [MAX_BODY_BYTES]


@pytest.mark.parametrize(
    "value", ["twelve", "", "-1", "+5", "1.5", "0x10", "1e3", "5, 5", "\u0665", "12 34"], ids=lambda v: repr(v)
)
def test_malformed_content_length_is_400(edge: tuple[TestClient, Probe], value: str) -> None:
    client, probe = edge
    assert_problem(client.post("/test/echo", headers={b"content-length": value.encode()}), 400)
    assert probe.finished == 0


def test_conflicting_content_lengths_are_400(edge: tuple[TestClient, Probe]) -> None:
    client, probe = edge
    r = client.post("/test/echo", headers=[("Content-Length", "2"), ("Content-Length", "3")], content=b"{}")
    assert_problem(r, 400)
    assert probe.finished == 0


# gzip


def test_large_response_is_gzipped_when_accepted(edge_client: TestClient) -> None:
    r = edge_client.get("/test/large", headers={"Accept-Encoding": "gzip", "Origin": ALLOWED})
    assert r.headers["content-encoding"] == "gzip"
    assert int(r.headers["content-length"]) < len(r.content)
    assert r.json() == LARGE
    assert {"accept-encoding", "origin"} <= set(vary_of(r))


@pytest.mark.parametrize(("path", "encoding"), [("/test/small", "gzip"), ("/test/large", "identity")])
def test_no_gzip_when_small_or_not_accepted(edge_client: TestClient, path: str, encoding: str) -> None:
    r = edge_client.get(path, headers={"Accept-Encoding": encoding})
    assert r.status_code == 200
    assert "content-encoding" not in r.headers
    assert int(r.headers["content-length"]) == len(r.content)


@pytest.mark.parametrize(("path", "varies"), [("/test/large", True), ("/test/small", False)])
def test_an_uncompressed_answer_varies_on_accept_encoding_when_it_could_have_been_gzipped(
    edge_client: TestClient, path: str, varies: bool
) -> None:
    """A cache must not hand this identity body to a client that asked for gzip (and vice versa)."""
    r = edge_client.get(path, headers={"Accept-Encoding": "identity"})  # the test client asks for gzip otherwise
    assert "content-encoding" not in r.headers
    assert ("accept-encoding" in vary_of(r)) is varies
    assert r.headers.get_list("vary").count("Accept-Encoding") <= 1
