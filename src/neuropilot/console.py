"""The web console (§17): the single-page app built from web/ into this package (`make install`), served here.

`/` and every path outside the API's own prefixes answer index.html, so the app's client-side routes survive a
reload; `/assets/*` are Vite's content-hashed files, cached for a year. The HTML carries the console's CSP and
`no-cache` (a new deploy is picked up at once); every other response keeps the API's headers (security.py).
Without a build the API runs all the same: one log line says so and `/` answers 503.
"""

from __future__ import annotations

import re
from pathlib import Path

import structlog
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from neuropilot.errors import Problem

log = structlog.get_logger("neuropilot")

BUILD = Path(__file__).parent / "web"
ASSET_PATH = "/assets/{name}"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HTML_HEADERS = {"Content-Security-Policy": CSP, "Cache-Control": "no-cache"}
ASSET_HEADERS = {"Cache-Control": "public, max-age=31536000, immutable"}
# Paths that belong to the API: an unknown one there is the API's JSON 404, never the app's page.
RESERVED = ("/v1/", "/health", "/live", "/ready", "/metrics", "/docs", "/assets/")
_ASSET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")  # Vite writes flat, hashed names; no '..', no '/'


def built() -> bool:
    return (BUILD / "index.html").is_file()


def log_if_missing() -> None:
    if not built():
        log.warning("console_not_built", path=str(BUILD), hint="make install builds it (needs web/ and Node)")


def _index() -> Response:
    if not built():
        raise Problem(503, "The web console is not built on this server; the API under /v1/ works without it.")
    return FileResponse(BUILD / "index.html", headers=HTML_HEADERS, media_type="text/html")


async def index(request: Request) -> Response:
    """The single-page app (index.html); its client-side routes (/stock, /reports, …) answer the same page."""
    return _index()


async def asset(request: Request) -> Response:
    name = request.path_params["name"]
    path = BUILD / "assets" / name
    if not _ASSET_NAME.match(name) or not path.is_file():
        raise Problem(404, "No such file.")
    return FileResponse(path, headers=ASSET_HEADERS)


def reserved(path: str) -> bool:
    """Under one of the API's prefixes: /v1 and /v1/…, /health and /health/… (but not /healthy)."""
    return any(path == prefix.rstrip("/") or path.startswith(prefix.rstrip("/") + "/") for prefix in RESERVED)


class Fallback:
    """The router's not-found handler: the app's page for GET/HEAD of a client-side route, else the API's 404."""

    def __init__(self, not_found: ASGIApp) -> None:
        self.not_found = not_found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD") and not reserved(scope["path"]):
            await _index()(scope, receive, send)
            return
        await self.not_found(scope, receive, send)
