"""The application factory: settings → database pool (lifespan) → middleware → route table.

Routes are data: each row names the method, the path, the handler and the roles it admits
(None = public). The guard turns the roles into 401/403 before the handler runs; RLS enforces the
same rules again inside PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from neuropilot import audit, auth, catalog, idempotency, ledger, purchasing, queries, ratelimit, security, stock, users
from neuropilot.auth import AuthenticationMiddleware, Endpoint
from neuropilot.config import ConfigError, Settings
from neuropilot.db import Database
from neuropilot.errors import EXCEPTION_HANDLERS
from neuropilot.health import health
from neuropilot.metrics import Metrics, metrics_endpoint
from neuropilot.observability import RequestContextMiddleware, configure_logging
from neuropilot.tokens import Tokens, load_keys

log = structlog.get_logger("neuropilot")
EVERYONE = ("admin", "manager", "counter", "viewer")
MANAGERS = ("admin", "manager")
COUNTERS = ("admin", "manager", "counter")
ADMIN = ("admin",)

ROUTES: list[tuple[str, str, Endpoint, tuple[str, ...] | None]] = [
    ("GET", "/health", health, None),
    ("GET", "/metrics", metrics_endpoint, None),
    ("POST", "/v1/auth/login", auth.login, None),
    ("POST", "/v1/auth/refresh", auth.refresh, None),
    ("POST", "/v1/auth/logout", auth.logout, EVERYONE),
    ("GET", "/v1/me", auth.get_me, EVERYONE),
    ("PATCH", "/v1/me", auth.update_me, EVERYONE),
    ("GET", "/v1/users", users.list_users, ADMIN),
    ("POST", "/v1/users", users.create_user_route, ADMIN),
    ("GET", "/v1/users/{id}", users.get_user, ADMIN),
    ("PATCH", "/v1/users/{id}", users.update_user, ADMIN),
    ("GET", "/v1/items", catalog.list_items, EVERYONE),
    ("POST", "/v1/items", catalog.create_item, MANAGERS),
    ("GET", "/v1/items/{id}", catalog.get_item, EVERYONE),
    ("PATCH", "/v1/items/{id}", catalog.update_item, MANAGERS),
    ("DELETE", "/v1/items/{id}", catalog.delete_item, MANAGERS),
    ("GET", "/v1/locations", catalog.list_locations, EVERYONE),
    ("POST", "/v1/locations", catalog.create_location, MANAGERS),
    ("GET", "/v1/locations/{id}", catalog.get_location, EVERYONE),
    ("PATCH", "/v1/locations/{id}", catalog.update_location, MANAGERS),
    ("GET", "/v1/counts", ledger.list_counts, EVERYONE),
    ("POST", "/v1/counts", ledger.create_count, COUNTERS),
    ("POST", "/v1/counts/batch", ledger.create_count_batch, COUNTERS),
    ("GET", "/v1/movements", ledger.list_movements, EVERYONE),
    ("POST", "/v1/movements", ledger.create_movement, MANAGERS),
    ("POST", "/v1/transfers", ledger.create_transfer, MANAGERS),
    ("GET", "/v1/stock", stock.list_stock, EVERYONE),
    ("GET", "/v1/reports/low-stock", stock.low_stock, ("admin", "manager", "viewer")),
    ("GET", "/v1/reports/valuation", stock.valuation, MANAGERS),
    ("GET", "/v1/reports/variance", stock.variance, MANAGERS),
    ("GET", "/v1/purchase-orders", purchasing.list_purchase_orders, MANAGERS),
    ("POST", "/v1/purchase-orders", purchasing.create_purchase_order, MANAGERS),
    ("GET", "/v1/purchase-orders/{id}", purchasing.get_purchase_order, MANAGERS),
    ("PATCH", "/v1/purchase-orders/{id}", purchasing.update_purchase_order, MANAGERS),
    ("POST", "/v1/purchase-orders/{id}/submit", purchasing.submit_purchase_order, MANAGERS),
    ("POST", "/v1/purchase-orders/{id}/cancel", purchasing.cancel_purchase_order, MANAGERS),
    ("POST", "/v1/purchase-orders/{id}/receive", purchasing.receive_purchase_order, MANAGERS),
    ("GET", "/v1/audit", audit.list_audit, ADMIN),
]


def routes() -> list[Route]:
    return [Route(path, auth.guard(endpoint, roles), methods=[method]) for method, path, endpoint, roles in ROUTES]


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
        metrics.query_latency.labels(name).observe(seconds)
        if seconds * 1000 > settings.slow_query_ms:
            metrics.slow_queries.labels(name).inc()
            log.warning("slow_query", query=name, duration_ms=round(seconds * 1000, 1))

    database = Database(settings, observe_query)
    metrics = Metrics(database.pool.get_stats, settings.backup_metrics_file)
    tokens = Tokens(load_keys(settings))
    limiter = ratelimit.build_limiter(settings)
    login_guard = ratelimit.LoginGuard(limiter, settings.login_max_failures, settings.login_window_s)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        await database.open()
        try:
            yield {
                "db": database,
                "settings": settings,
                "tokens": tokens,
                "login_guard": login_guard,
                "metrics": metrics,
            }
        finally:
            await database.close()
            await limiter.aclose()

    return Starlette(
        routes=routes(),
        middleware=[
            *security.headers_middleware(settings),
            Middleware(RequestContextMiddleware),
            *security.edge_middleware(settings),
            Middleware(AuthenticationMiddleware, tokens=tokens),
            *ratelimit.rate_limit_middleware(settings, limiter),
        ],
        exception_handlers=EXCEPTION_HANDLERS | {idempotency.Replay: idempotency.handle_replay},
        lifespan=lifespan,
    )
