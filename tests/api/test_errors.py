from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from neuropilot.app import create_app
from neuropilot.db import Database
from neuropilot.observability import new_request_id
from tests.conftest import settings_for
from tests.pg import Db


async def explode(request: Request) -> Response:
    raise RuntimeError("select password_hash from app_user -- internal detail")


async def hog_the_pool(request: Request) -> Response:
    db: Database = request.state.db
    async with db.transaction(), db.transaction():  # the second waits for the only connection
        return Response()


@pytest.fixture
def app_client(database: Db) -> Iterator[TestClient]:
    app = create_app(settings_for(database, pool_min_size=1, pool_max_size=1, pool_timeout_s=0.3))
    app.router.routes.extend([Route("/test/explode", explode), Route("/test/hog", hog_the_pool)])
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def assert_problem(r, status: int) -> dict[str, object]:  # type: ignore[no-untyped-def]
    assert r.status_code == status
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == status
    assert body["title"] and body["detail"]
    assert body["request_id"] == r.headers["x-request-id"]
    return body


def test_unknown_route_is_a_json_404(client: TestClient) -> None:
    assert_problem(client.get("/v1/nothing-here"), 404)


def test_wrong_method_is_405_with_allow(client: TestClient) -> None:
    r = client.delete("/health")
    assert_problem(r, 405)
    assert "GET" in r.headers["allow"]


def test_unhandled_error_is_500_without_internals(app_client: TestClient) -> None:
    r = app_client.get("/test/explode")
    body = assert_problem(r, 500)
    assert "password_hash" not in r.text and "RuntimeError" not in r.text and "Traceback" not in r.text
    assert body["detail"] == "Something went wrong on our side."


def test_exhausted_pool_is_a_fast_503_with_retry_after(app_client: TestClient) -> None:
    started = time.monotonic()
    r = app_client.get("/test/hog")
    assert time.monotonic() - started < 2
    assert_problem(r, 503)
    assert int(r.headers["retry-after"]) >= 1


def test_client_request_id_is_echoed(client: TestClient) -> None:
    r = client.get("/v1/nothing-here", headers={"X-Request-ID": "abc.DEF_123-x"})
    assert r.headers["x-request-id"] == "abc.DEF_123-x"
    assert r.json()["request_id"] == "abc.DEF_123-x"


@pytest.mark.parametrize("bad", ["has space", "x" * 129, "semi;colon", "ünïcode", ""])
def test_unacceptable_request_id_is_replaced(client: TestClient, bad: str) -> None:
    r = client.get("/health", headers={"X-Request-ID": bad.encode()})
    generated = r.headers["x-request-id"]
    assert generated != bad
    assert len(generated) == 32 and generated.isalnum()


def test_generated_request_ids_are_uuid4_hex() -> None:
    ids = [new_request_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for generated in ids:
        parsed = uuid.UUID(generated)
        assert parsed.hex == generated and parsed.version == 4 and parsed.variant == uuid.RFC_4122
    assert {generated[12] for generated in ids} == {"4"} and {generated[16] for generated in ids} == set("89ab")
    assert len({generated[15] for generated in ids}) == 16  # the bits next to the fixed ones are still random


def test_every_request_logs_one_json_line_with_route_template(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    client.get("/health", headers={"X-Request-ID": "log-check-1"})
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "log-check-1" in line]
    assert len(lines) == 1
    assert lines[0] | {"duration_ms": 0} == lines[0] | {
        "event": "request",
        "method": "GET",
        "route": "/health",
        "status": 200,
        "duration_ms": 0,
    }
