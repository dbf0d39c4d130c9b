"""Where the console's build is, and a clear failure when it is missing (`make install` builds it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from neuropilot import console

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
NPM = ROOT / ".venv" / "bin" / "npm"


def build_dir() -> Path:
    if not console.built():
        pytest.fail(f"the console is not built in {console.BUILD}: run `make install` (npm ci and vite build in web/)")
    return console.BUILD


def index_html() -> str:
    return (build_dir() / "index.html").read_text()


def initial_files(html: str) -> list[str]:
    """The files index.html makes the browser load before anything runs: the entry script, its preloads, CSS."""
    return re.findall(r'<(?:script|link)[^>]+(?:src|href)="(/assets/[^"]+\.(?:js|css))"', html)


def node_env() -> dict[str, str]:
    import os

    return {**os.environ, "PATH": f"{NPM.parent}:{os.environ.get('PATH', '')}"}
