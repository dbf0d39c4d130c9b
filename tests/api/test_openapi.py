from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
import uvicorn
from openapi_spec_validator import OpenAPIV31SpecValidator
from starlette.routing import Route
from starlette.testclient import TestClient

from neuropilot import console
from neuropilot.app import create_app
from neuropilot.docs import ASSET_PATH, ASSETS
from neuropilot.models import CountCreate, ItemCreate
from neuropilot.openapi import REF, Page
from neuropilot.purchasing_models import Receipt
from neuropilot.routes import ROUTES
from tests.conftest import settings_for
from tests.pg import Db

METHODS = ("get", "post", "patch", "delete")


@pytest.fixture
def spec(client: TestClient) -> dict[str, Any]:
    r = client.get("/v1/openapi.json")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    document: dict[str, Any] = r.json()
    return document


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def test_every_route_has_an_operation_and_every_operation_a_route(client: TestClient, spec: dict[str, Any]) -> None:
    served = {
        (method, route.path)
        for route in client.app.routes  # type: ignore[attr-defined]
        if isinstance(route, Route) and route.path not in (ASSET_PATH, console.ASSET_PATH)
        for method in (route.methods or set()) - {"HEAD"}
    }
    documented = {(method, path) for method, path, _ in operations(spec)}
    assert served - documented == set(), "routes without a documented operation"
    assert documented - served == set(), "operations without a route"
    assert {("GET", "/v1/openapi.json"), ("GET", "/docs")} <= documented  # documents itself, to be found


def test_the_document_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    assert spec["openapi"] == "3.1.0"
    OpenAPIV31SpecValidator(spec).validate()  # raises, naming the first error


def test_the_document_is_built_once_and_served_as_built(client: TestClient) -> None:
    first, second = client.get("/v1/openapi.json"), client.get("/v1/openapi.json")
    assert first.content == second.content
    assert first.content is not second.content
    assert len({op.endpoint.__name__ for op in ROUTES}) == len(ROUTES)  # operationIds are unique


def test_roles_are_in_the_description_and_public_routes_need_no_token(spec: dict[str, Any]) -> None:
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    assert spec["security"] == [{"bearerAuth": []}]
    for op in ROUTES:
        operation = spec["paths"][op.path][op.method.lower()]
        if op.roles is None:
            assert operation["security"] == []
            assert operation["description"].startswith("**Anyone.**")
        else:
            assert "security" not in operation
            assert operation["description"].startswith("**Roles: " + ", ".join(op.roles) + ".**")
            assert {"401", "429", "503"} <= set(operation["responses"])


def test_schemas_are_the_msgspec_schemas_of_the_models(spec: dict[str, Any]) -> None:
    (_,), expected = msgspec.json.schema_components([ItemCreate], ref_template=REF)
    assert spec["components"]["schemas"]["ItemCreate"] == expected["ItemCreate"]
    assert spec["components"]["schemas"]["ItemCreate"]["additionalProperties"] is False
    field = spec["components"]["schemas"]["CountCreate"]["properties"]["qty_on_hand"]
    # optional since a count may come as a breakdown in packs instead (CONTRACT §11): string or null
    (qty,) = [arm for arm in field["anyOf"] if arm.get("type") != "null"]
    assert qty["type"] == "string"
    assert "pattern" in qty


def test_request_bodies_success_statuses_and_list_envelopes(spec: dict[str, Any]) -> None:
    for op in ROUTES:
        operation = spec["paths"][op.path][op.method.lower()]
        success = {code for code in operation["responses"] if code.startswith("2")}
        assert success == {str(op.status)}, (op.method, op.path)
        if isinstance(op.body, str):  # a file upload (the CSV imports): its media type, a string
            assert operation["requestBody"]["content"] == {op.body: {"schema": {"type": "string"}}}
        elif op.body is not None:
            body = operation["requestBody"]["content"]["application/json"]["schema"]
            assert body == {"$ref": REF.format(name=op.body.__name__)}
        if op.method == "POST" and op.body is not None and not op.path.startswith("/v1/auth/"):
            assert op.status in (201, 200) and "Idempotency-Key" in [p["name"] for p in operation["parameters"]]
    assert spec["paths"]["/v1/auth/logout"]["post"]["responses"]["204"] == {"description": "No Content"}
    assert spec["paths"]["/v1/items/{id}"]["delete"]["responses"]["204"] == {"description": "No Content"}
    assert spec["paths"]["/v1/items"]["post"]["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": REF.format(name="Item")
    }
    page = spec["components"]["schemas"][Page.__name__ + "_Item_"]
    assert page["required"] == ["data", "next_cursor"]
    assert page["properties"]["data"] == {"type": "array", "items": {"$ref": REF.format(name="Item")}}
    lists = [op for op in ROUTES if op.method == "GET" and "{" not in op.path and op.path.startswith("/v1/")]
    for op in lists:
        names = [p["name"] for p in spec["paths"][op.path]["get"].get("parameters", [])]
        # reports whose contract shape is one whole answer, not a list envelope (§5, §13, §15)
        whole = ("/v1/reports/valuation", "/v1/reports/usage", "/v1/reports/waste", "/v1/reports/suggested-order")
        if op.path not in ("/v1/me", "/v1/openapi.json", *whole):
            assert names[:2] == ["limit", "cursor"], op.path


def test_query_and_path_parameters(spec: dict[str, Any]) -> None:
    stock = {p["name"]: p for p in spec["paths"]["/v1/stock"]["get"]["parameters"]}
    assert set(stock) == {"limit", "cursor", "location_id", "item_id", "category", "below_min"}
    assert stock["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 200}
    assert stock["item_id"]["schema"] == {"type": "string", "format": "uuid"}
    assert stock["below_min"]["schema"] == {"type": "boolean"}
    variance = {p["name"]: p for p in spec["paths"]["/v1/reports/variance"]["get"]["parameters"]}
    assert variance["since"]["required"] is True
    for method, path, operation in operations(spec):
        declared = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
        assert declared == re.findall(r"{(\w+)}", path), (method, path)


def test_errors_are_problem_documents(spec: dict[str, Any]) -> None:
    problem = spec["components"]["schemas"]["ProblemDetails"]
    assert problem["required"] == ["type", "title", "status", "detail", "request_id"]
    responses = spec["components"]["responses"]
    for method, path, operation in operations(spec):
        for code, response in operation["responses"].items():
            if code.startswith("2") or (path, code) in (("/health", "503"), ("/ready", "503")):
                continue
            named = responses[response["$ref"].rsplit("/", 1)[1]]
            assert named["content"] == {
                "application/problem+json": {"schema": {"$ref": REF.format(name="ProblemDetails")}}
            }, (method, path, code)
    assert responses["Unauthorized"]["headers"]["WWW-Authenticate"]["required"] is True
    assert responses["TooManyRequests"]["headers"]["Retry-After"]["required"] is True
    item = spec["paths"]["/v1/items/{id}"]
    assert set(item["patch"]["responses"]) == {"200", "400", "401", "403", "404", "409", "412", "413", "415"} | {
        "422",
        "429",
        "503",
    }
    # 422: an undeclared query parameter, on every route (validation.check_query)
    assert set(item["get"]["responses"]) == {"200", "401", "404", "422", "429", "503"}


def test_examples_are_bodies_the_api_accepts(spec: dict[str, Any]) -> None:
    bodies = {op.body for op in ROUTES if op.body is not None}
    examples = 0
    for op in ROUTES:
        if op.body is None or isinstance(op.body, str):  # a file body has no JSON example
            continue
        media = spec["paths"][op.path][op.method.lower()]["requestBody"]["content"]["application/json"]
        if "example" in media:
            msgspec.json.decode(msgspec.json.encode(media["example"]), type=op.body)
            examples += 1
    assert examples >= 8
    assert {ItemCreate, CountCreate, Receipt} <= bodies


# --- the docs page ---


def test_the_docs_page_is_served_locally_with_its_own_csp(client: TestClient) -> None:
    r = client.get("/docs")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self';" in csp
    assert "default-src 'none'" in csp
    assert "unsafe" not in csp and "http" not in csp
    assert "http://" not in r.text and "https://" not in r.text  # no CDN
    linked = re.findall(r'(?:src|href)="([^"]+)"', r.text)
    assert linked
    for url in linked:
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert asset.headers["cache-control"] == "public, max-age=86400"
    assert len(linked) == len(ASSETS)


def test_an_unknown_docs_asset_is_a_problem(client: TestClient) -> None:
    for name in ("index.html", "..%2Fapp.py", "swagger-ui.js.map"):
        r = client.get(f"/docs/assets/{name}")
        assert r.status_code == 404
        assert r.headers["content-type"] == "application/problem+json"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def server(database: Db) -> Iterator[str]:
    """The app under uvicorn on a free loopback port, in a thread of this process."""
    config = uvicorn.Config(
        create_app(settings_for(database)),
        host="127.0.0.1",
        port=_free_port(),
        log_level="warning",
        ws="none",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            thread.join(0.05)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def chromium() -> str:
    """Debian's chromium: CI must have it (.ci/run installs it); a developer without it gets a skip."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and os.environ.get("CI"):
        pytest.fail("chromium is missing in CI; .ci/run installs it")
    if found is None:
        pytest.skip("chromium is not installed (apt-get install chromium); CI runs this test")
    return found


def test_the_docs_page_renders_the_operations_in_headless_chromium(chromium: str, server: str) -> None:
    with tempfile.TemporaryDirectory(prefix="neuropilot-chromium-") as profile:
        result = subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                f"--user-data-dir={profile}",
                "--virtual-time-budget=10000",
                "--dump-dom",
                f"{server}/docs",
            ],
            capture_output=True,
            text=True,
            timeout=90,
        )
    dom = result.stdout
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'class="opblock-summary-method">POST<' in dom, dom[-2000:]
    for path in ("/v1/items", "/v1/purchase-orders/{id}/receive", "/v1/auth/login"):
        assert f'data-path="{path}"' in dom, path
    assert "NeuroPilot API" in dom
    assert "Unable to render" not in dom and "Failed to load" not in dom
