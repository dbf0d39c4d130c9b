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


STATIC_IMPORT = re.compile(r'(?:\bfrom|\bimport)\s*"\./([\w.-]+\.js)"')


def static_closure(start: str) -> set[str]:
    """start (an /assets/ file) and every chunk it imports statically, however deep: what loads with it.
    Dynamic imports (lazy screens, import(`./X.js`)) are not followed."""
    assets = build_dir() / "assets"
    seen: set[str] = set()
    todo = [start.removeprefix("/assets/")]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(STATIC_IMPORT.findall((assets / name).read_text()))
    return {f"/assets/{name}" for name in seen}


def screen_chunk(screen: str) -> str:
    """The /assets/ chunk Vite named after a lazy screen (screens/Count.tsx → Count-<hash>.js)."""
    found = sorted((build_dir() / "assets").glob(f"{screen}-*.js"))
    assert len(found) == 1, f"expected one {screen} chunk in the build, found {found}"
    return f"/assets/{found[0].name}"
