"""The application factory: settings → database pool (lifespan) → middleware → route table.

The route table itself is data, in routes.py; here its rows become Starlette routes, each behind
the guard (auth.guard) and the query-parameter check.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route, Router
from starlette.types import Receive, Scope, Send

from neuropilot import (
    auth,
    console,
    docs,
    idempotency,
    openapi,
    probes,
    queries,
    ratelimit,
    security,
    validation,
)
from neuropilot.auth import AuthenticationMiddleware, Endpoint
from neuropilot.config import ConfigError, Settings
from neuropilot.db import Database
from neuropilot.errors import EXCEPTION_HANDLERS
from neuropilot.httpguard import BoundedHttpToolsProtocol
from neuropilot.metrics import Metrics, multiprocess_dir
from neuropilot.observability import RequestContextMiddleware, configure_logging
from neuropilot.routes import ROUTES as ROUTES  # re-exported: callers predate routes.py
from neuropilot.routes import Op as Op
from neuropilot.spreadsheets import export
from neuropilot.tokens import Tokens, load_keys

log = structlog.get_logger("neuropilot")


class LiteralRoute(Route):
    """A path without parameters owns it for every method, and comes before the paths with parameters:
    GET /v1/purchase-orders/from-suggestion is a 405 (POST only), not GET /v1/purchase-orders/{id}."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        return (Match.FULL if match is Match.PARTIAL else match), child


class LiteralPaths:
    """The router, with one dict lookup in front of it for the fixed paths. Each has one LiteralRoute, and
    all of them come first and match every method, so the first route Starlette would find for such a
    path is that one; this finds it without trying the routes in order (13 tries for GET /v1/items).
    Any other path (templated, the files, the console's fallback) goes through the router as before."""

    def __init__(self, router: Router) -> None:
        self.router = router
        self.by_path = {route.path: route for route in router.routes if isinstance(route, LiteralRoute)}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        plain = scope["type"] == "http" and not scope.get("root_path")  # behind a path prefix: the router decides
        route = self.by_path.get(scope["path"]) if plain else None
        if route is None:
            await self.router.app(scope, receive, send)
            return
        scope.setdefault("router", self.router)
        _, child = route.matches(scope)
        scope["route"] = route
        scope.update(child)
        await route.handle(scope, receive, send)


def routes() -> list[Route]:
    """One Route per path, so that a 405's Allow names every method the path has, not the first row's.

    A fixed path that a templated one also matches (/v1/items/import and /v1/items/{id}) comes first
    and takes every method itself, answering 405 for the ones it lacks: otherwise Starlette would give
    DELETE /v1/items/import to DELETE /v1/items/{id} (a 404)."""
    by_path: dict[str, dict[str, Endpoint]] = {}
    for op in ROUTES:
        endpoint = _with_csv(op) if op.csv else op.endpoint
        checked = known_query(endpoint, frozenset(param.name for param in op.query))
        by_path.setdefault(op.path, {})[op.method] = auth.guard(checked, op.roles)
    literal = [LiteralRoute(p, _by_method(h), methods=list(h)) for p, h in by_path.items() if "{" not in p]
    table = [Route(p, _by_method(h), methods=list(h)) for p, h in by_path.items() if "{" in p]
    files = [  # the docs page's and the console's files, not API operations
        Route(docs.ASSET_PATH, docs.asset, methods=["GET"]),
        Route(console.ASSET_PATH, console.asset, methods=["GET"]),
    ]
    return [*literal, *table, *files]


def _with_csv(op: Op) -> Endpoint:
    return export.negotiated(op.endpoint, export.Export(export.filename(op.path), op.response))


def known_query(endpoint: Endpoint, names: frozenset[str]) -> Endpoint:
    """The endpoint, refusing query parameters its row does not declare (validation.check_query).

    Inside the guard, so a caller without a valid token learns nothing about a route's parameters."""

    @functools.wraps(endpoint)
    async def checked(request: Request) -> Response:
        if request.scope["query_string"]:
            validation.check_query(request, names)
        return await endpoint(request)

    return checked


def _by_method(handlers: dict[str, Endpoint]) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        return await handlers["GET" if request.method == "HEAD" else request.method](request)

    return endpoint


def check_production(settings: Settings) -> None:
    """Production refuses to start on settings that would make it unsafe, saying which."""
    if not settings.production:
        return
    if not settings.database_url:
        raise ConfigError("NEUROPILOT_ENV=production needs DATABASE_URL (the app role's DSN)")
    if "*" in settings.cors_origins:
        raise ConfigError("NEUROPILOT_CORS_ORIGINS may not contain '*' in production; list exact origins")
    load_keys(settings)  # raises on a missing or short key


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    check_production(settings)
    queries.check_all_used()
    configure_logging()
    metrics: Metrics | None = None

    def observe_query(name: str, seconds: float) -> None:
        assert metrics is not None
        metrics.observe_query(name, seconds)
        if seconds * 1000 > settings.slow_query_ms:
            metrics.slow_queries.labels(name).inc()
            log.warning("slow_query", query=name, duration_ms=round(seconds * 1000, 1))

    database = Database(settings, observe_query)
    metrics = Metrics(database.pool.get_stats, settings.backup_metrics_file, multiprocess_dir())
    keys = load_keys(settings)
    tokens = Tokens(keys)
    validation.configure_cursors(tuple(secret for _, secret in keys))
    limiter = ratelimit.build_limiter(settings)
    login_guard = ratelimit.LoginGuard(limiter, settings.login_max_failures, settings.login_window_s)
    client_address = functools.partial(ratelimit.client_ip, trusted=ratelimit.parse_networks(settings.trusted_proxies))
    spec = openapi.document(ROUTES)
    readiness = probes.Readiness(probes.code_schema_version())

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        await database.open()
        try:
            async with metrics.running():
                yield {
                    "db": database,
                    "settings": settings,
                    "tokens": tokens,
                    "login_guard": login_guard,
                    "client_address": client_address,
                    "metrics": metrics,
                    "openapi": spec,
                    "readiness": readiness,
                }
        finally:
            await database.close()
            await limiter.aclose()

    app = Starlette(
        routes=routes(),
        middleware=[
            Middleware(RequestContextMiddleware, security_headers=security.default_headers(settings)),
            *security.edge_middleware(settings, [(op.method, op.path, op.max_body) for op in ROUTES if op.max_body]),
            Middleware(AuthenticationMiddleware, tokens=tokens),
            *ratelimit.rate_limit_middleware(settings, limiter),
        ],
        exception_handlers=EXCEPTION_HANDLERS | {idempotency.Replay: idempotency.handle_replay},
        lifespan=lifespan,
    )
    app.router.default = console.Fallback(app.router.not_found)  # the console's client-side routes
    assert app.router.middleware_stack == app.router.app  # no router-level middleware to keep
    app.router.middleware_stack = LiteralPaths(app.router)
    return app


# Python's cyclic GC, tuned for a request loop: collect the youngest generation after 100k net
# allocations instead of 700, and leave everything alive at start-up out of every collection.
# Measured under `make bench`: read p99 -30 %, reads +8 % (docs/performance.md).
GC_THRESHOLDS = (100_000, 50, 50)


def serve_app() -> Starlette:
    """The app as `neuropilot serve` runs it in each worker process (uvicorn's factory): settings
    from the environment, and the GC tuned once the code and its tables are loaded."""
    settings = Settings.from_env()
    app = create_app(settings)
    BoundedHttpToolsProtocol.configure(settings)
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    return app
