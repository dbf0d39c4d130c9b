"""The console's own checks, run by pytest: its unit tests (vitest), generated API types, bundle budget."""

from __future__ import annotations

import gzip
import subprocess
from pathlib import Path

import pytest

from neuropilot.webclient import document
from tests.web.build import NPM, WEB, build_dir, index_html, initial_files, node_env, screen_chunk, static_closure

SIGN_IN_BUDGET = 250 * 1024  # gzipped JavaScript the sign-in screen loads
COUNT_BUDGET = 250 * 1024  # gzipped JavaScript a phone loads to count: the entry, the Count chunk, their imports
CHART_MARK = "._chartjs"  # the property Chart.js hangs its listeners on; minification keeps it


def npm(*args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    if not (WEB / "node_modules").is_dir():
        pytest.fail("web/node_modules is missing: run `make install` (npm ci with the venv's Node)")
    return subprocess.run(
        [str(NPM), "--prefix", str(WEB), *args], capture_output=True, text=True, env=node_env(), timeout=timeout
    )


def test_the_console_unit_tests_pass() -> None:
    """vitest: token refresh scheduling, problem-to-field mapping, role to navigation (web/src/**/*.test.ts)."""
    result = npm("run", "test", "--silent", "--", "--reporter=dot")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and " failed" not in result.stdout


def test_the_generated_api_client_matches_the_openapi_document(tmp_path: Path) -> None:
    spec = tmp_path / "openapi.json"
    spec.write_bytes(document())
    out = tmp_path / "schema.d.ts"
    result = npm("exec", "--", "openapi-typescript", str(spec), "--output", str(out))
    assert result.returncode == 0, result.stderr[-2000:]
    committed = (WEB / "src" / "api" / "schema.d.ts").read_text()
    assert out.read_text() == committed, (
        "web/src/api/schema.d.ts is not what the route table's OpenAPI document generates: run `make web-client` "
        "and commit the result"
    )


def test_the_sign_in_screen_loads_under_the_budget_and_without_the_chart_library() -> None:
    files = [f for f in initial_files(index_html()) if f.endswith(".js")]
    assert files, "index.html loads no script"
    sizes = {f: len(gzip.compress((build_dir() / f.removeprefix("/")).read_bytes(), 9)) for f in files}
    total = sum(sizes.values())
    assert total < SIGN_IN_BUDGET, f"sign-in JS is {total} bytes gzipped (budget {SIGN_IN_BUDGET}): {sizes}"
    for f in files:
        text = (build_dir() / f.removeprefix("/")).read_text()
        assert CHART_MARK not in text, f"{f} carries Chart.js"
    chunks = [p.read_text() for p in (build_dir() / "assets").glob("*.js")]
    assert any(CHART_MARK in text for text in chunks), "the chart chunk is missing from the build"


def gzipped(files: set[str]) -> dict[str, int]:
    return {f: len(gzip.compress((build_dir() / f.removeprefix("/")).read_bytes(), 9)) for f in sorted(files)}


def test_the_count_screen_loads_under_the_budget_and_without_the_chart_library() -> None:
    entry = [f for f in initial_files(index_html()) if f.endswith(".js")]
    count = screen_chunk("Count")
    files = set().union(*(static_closure(f) for f in [*entry, count]))
    assert count in files and len(files) > len(entry) + 1, files  # the chunk and what it imports are measured
    sizes = gzipped(files)
    total = sum(sizes.values())
    assert total < COUNT_BUDGET, f"the count screen's JS is {total} bytes gzipped (budget {COUNT_BUDGET}): {sizes}"
    for f in files:
        assert CHART_MARK not in (build_dir() / f.removeprefix("/")).read_text(), f"{f} carries Chart.js"
