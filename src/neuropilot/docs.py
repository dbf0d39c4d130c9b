"""GET /docs: a human-readable API reference (Swagger UI) served by the app itself, no CDN.

The Swagger UI files come from the swagger-ui-bundle-v2 wheel (Apache-2.0; its LICENSE ships in the
wheel's metadata); the page and its start-up script are ours. The page's CSP allows only this origin.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from swagger_ui_bundle import swagger_ui_path

from neuropilot.errors import Problem

ASSET_PATH = "/docs/assets/{name}"
_SWAGGER_UI = Path(str(swagger_ui_path))
ASSETS = {
    "swagger-ui.css": _SWAGGER_UI / "swagger-ui.css",
    "swagger-ui-bundle.js": _SWAGGER_UI / "swagger-ui-bundle.js",
    "favicon-32x32.png": _SWAGGER_UI / "favicon-32x32.png",
    "docs.js": Path(__file__).parent / "static" / "docs.js",
}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>NeuroPilot API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"><noscript>The reference needs JavaScript; the document itself is /v1/openapi.json.</noscript></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/docs.js"></script>
</body>
</html>
"""


async def docs_page(request: Request) -> Response:
    """This reference, rendered by Swagger UI from /v1/openapi.json."""
    return HTMLResponse(PAGE, headers={"Content-Security-Policy": CSP})


async def asset(request: Request) -> Response:
    path = ASSETS.get(request.path_params["name"])
    if path is None:
        raise Problem(404, "No such file.")
    return FileResponse(path, headers={"Cache-Control": "public, max-age=86400"})
