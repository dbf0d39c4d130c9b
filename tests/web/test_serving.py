"""The console over HTTP (§17): index.html for the app's routes, hashed assets, CSP, caching, the API untouched."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import structlog
from starlette.testclient import TestClient

from neuropilot import console
from tests.web.build import build_dir, index_html, initial_files

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


@pytest.mark.parametrize("path", ["/", "/stock", "/reports", "/items/123", "/receive?po=1", "/v1x", "/healthz"])
def test_the_app_and_its_client_side_routes_answer_index_html(client: TestClient, path: str) -> None:
    build_dir()
    r = client.get(path)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["content-security-policy"] == CSP
    assert r.headers["cache-control"] == "no-cache"
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["x-frame-options"] == "DENY"
    assert '<div id="root">' in r.text
    assert client.head(path).status_code == 200


API_PATHS = ["/v1", "/v1/nope", "/v1/items/x/y", "/docs/nope", "/assets/nope.js", "/health/x", "/metrics/x"]


@pytest.mark.parametrize("path", [*API_PATHS, "/ready/x", "/live/x"])
def test_unknown_api_paths_stay_json_404s(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["content-security-policy"].startswith("default-src 'none'; frame-ancestors 'none'")


def test_other_methods_on_app_routes_are_not_the_page(client: TestClient) -> None:
    r = client.post("/stock", json={})
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    assert client.post("/v1/items", json={}).status_code == 401  # API routes unchanged


def test_assets_are_immutable_and_typed(client: TestClient) -> None:
    files = initial_files(index_html())
    assert any(f.endswith(".js") for f in files) and any(f.endswith(".css") for f in files)
    for path in files:
        assert re.fullmatch(r"/assets/[\w-]+-[\w-]{8}\.(js|css)", path), path  # content-hashed names
        r = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert r.status_code == 200
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
        kind = "text/javascript" if path.endswith(".js") else "text/css"
        assert r.headers["content-type"].startswith(kind)
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers.get("content-encoding") == "gzip"  # every initial file is over GZip's 1 KiB
        assert (build_dir() / path.removeprefix("/")).read_bytes() == r.content


@pytest.mark.parametrize("name", ["..%2F..%2Fapp.py", "%2E%2E", ".hidden", "a%00b"])
def test_asset_names_cannot_leave_the_assets_directory(client: TestClient, name: str) -> None:
    assert client.get(f"/assets/{name}").status_code == 404


def test_the_page_has_no_inline_script_or_style_for_the_csp_to_block() -> None:
    html = index_html()
    assert "<style" not in html and " style=" not in html
    for tag in re.findall(r"<script[^>]*>", html):
        assert ' src="/assets/' in tag, tag
    assert not re.search(r"<script[^>]*>[^<]+</script>", html)
    assert "data:" not in html and "http://" not in html and "https://" not in html  # nothing from elsewhere


def test_api_responses_keep_their_headers(client: TestClient) -> None:
    r = client.get("/v1/openapi.json")
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["content-security-policy"].startswith("default-src 'none'; frame-ancestors 'none'")


def test_without_a_build_the_api_runs_and_the_page_says_so(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(console, "BUILD", tmp_path / "web")
    for path in ("/", "/stock"):
        r = client.get(path)
        assert r.status_code == 503 and r.headers["content-type"] == "application/problem+json"
        assert "console is not built" in r.json()["detail"]
    assert client.get("/health").status_code == 200
    structlog.reset_defaults()
    console.log_if_missing()
    lines = [line for line in capsys.readouterr().out.splitlines() if "console_not_built" in line]
    assert len(lines) == 1, lines
