"""The application factory: settings → database pool (lifespan) → middleware → route table."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from neuropilot import queries, security
from neuropilot.config import Settings
from neuropilot.db import Database
from neuropilot.errors import EXCEPTION_HANDLERS
from neuropilot.health import health
from neuropilot.observability import RequestContextMiddleware, configure_logging

ROUTES = [
    Route("/health", health, methods=["GET"], name="health"),
]


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    queries.check_all_used()
    configure_logging()
    database = Database(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        await database.open()
        try:
            yield {"db": database, "settings": settings}
        finally:
            await database.close()

    return Starlette(
        routes=ROUTES,
        middleware=[
            *security.headers_middleware(settings),
            Middleware(RequestContextMiddleware),
            *security.edge_middleware(settings),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
