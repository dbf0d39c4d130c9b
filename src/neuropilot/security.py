"""Edge middleware (plain ASGI): security headers, strict CORS, request body limit, gzip.

STUB: being written. Interface used by app.py:
  headers_middleware(settings) -> Middleware      (outermost: every response, errors included)
  edge_middleware(settings) -> list[Middleware]   (inside RequestContextMiddleware: CORS, body limit, gzip)
"""

from __future__ import annotations

from starlette.middleware import Middleware

from neuropilot.config import Settings


def headers_middleware(settings: Settings) -> list[Middleware]:
    return []


def edge_middleware(settings: Settings) -> list[Middleware]:
    return []
