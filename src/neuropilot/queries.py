"""Named SQL queries from sql/queries/*.sql, loaded once.

Each query starts with a header `-- name: ListItems :many` (kinds: one, many, exec, execrows);
the comment lines under it say what it is for. Code takes a query with `query("ListItems")` at
import time, so a name no file defines fails at start-up, and `check_all_used()` (run by the app
factory) fails on a query no code takes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from neuropilot.config import sql_dir

Kind = Literal["one", "many", "exec", "execrows"]
_HEADER = re.compile(r"^-- name: ([A-Z][A-Za-z0-9]*) :(one|many|exec|execrows)\s*$")


class QueryError(Exception):
    """sql/queries/ and the code disagree, or a file is malformed."""


@dataclass(frozen=True)
class Query:
    name: str
    kind: Kind
    sql: str
    source: str


def parse(text: str, source: str) -> list[Query]:
    found: list[Query] = []
    header: tuple[str, Kind, int] | None = None
    body: list[str] = []

    def close() -> None:
        if header is None:
            return
        sql = "\n".join(body).strip().rstrip(";").strip()
        if not sql or all(line.lstrip().startswith("--") for line in sql.splitlines()):
            raise QueryError(f"{source}:{header[2]}: query {header[0]} has no SQL")
        found.append(Query(header[0], header[1], sql, f"{source}:{header[2]}"))

    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("-- name:"):
            match = _HEADER.match(line)
            if match is None:
                raise QueryError(f"{source}:{number}: malformed header {line!r}; want '-- name: CamelCase :kind'")
            close()
            header, body = (match[1], match[2], number), []  # type: ignore[assignment]
        elif header is None:
            if line.strip() and not line.startswith("--"):
                raise QueryError(f"{source}:{number}: SQL before the first '-- name:' header")
        else:
            body.append(line)
    close()
    return found


def load(directory: Path) -> dict[str, Query]:
    registry: dict[str, Query] = {}
    for path in sorted(directory.glob("*.sql")):
        for q in parse(path.read_text(encoding="utf-8"), path.name):
            if q.name in registry:
                raise QueryError(f"query {q.name} is defined twice: {registry[q.name].source} and {q.source}")
            registry[q.name] = q
    return registry


_registry: dict[str, Query] | None = None
_used: set[str] = set()


def registry() -> dict[str, Query]:
    global _registry
    if _registry is None:
        _registry = load(sql_dir() / "queries")
    return _registry


def query(name: str) -> Query:
    """The named query; call at module level so a missing name fails at import."""
    try:
        found = registry()[name]
    except KeyError:
        raise QueryError(f"code uses query {name}, but no file in sql/queries defines it") from None
    _used.add(name)
    return found


def unused(defined: dict[str, Query], used: set[str]) -> list[str]:
    return sorted(set(defined) - used)


def check_all_used() -> None:
    """Import every module of the package (each takes its queries at import), then compare."""
    import importlib
    import pkgutil

    import neuropilot

    for module in pkgutil.iter_modules(neuropilot.__path__):
        if module.name != "__main__":
            importlib.import_module(f"neuropilot.{module.name}")
    names = unused(registry(), _used)
    if names:
        raise QueryError(f"sql/queries defines queries no code uses: {', '.join(names)}")
