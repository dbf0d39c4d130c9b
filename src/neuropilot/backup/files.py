"""Backup files: names, listing, atomic writes, the per-directory lock and the metrics textfile.

Files get their final names only once complete (temporary name, fsync, rename), so a failed run
leaves the previous latest backup and the metrics textfile as they were.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from neuropilot.backup.common import BackupError
from neuropilot.metrics import BACKUP_METRIC

_NAME = re.compile(r"^neuropilot-(\d{8}T\d{6}Z)\.dump\.gpg$")
_STAMP = "%Y%m%dT%H%M%SZ"


def manifest_path(dump: Path) -> Path:
    return dump.with_name(dump.name.removesuffix(".dump.gpg") + ".manifest.json")


@dataclass(frozen=True)
class Backup:
    path: Path  # the .dump.gpg
    taken_at: datetime

    @property
    def manifest(self) -> Path:
        return manifest_path(self.path)


def backup_name(at: datetime) -> str:
    return f"neuropilot-{at.strftime(_STAMP)}.dump.gpg"


def list_backups(directory: Path) -> list[Backup]:
    """Backups under their final names (complete ones), newest first."""
    found = []
    for path in directory.glob("neuropilot-*.dump.gpg"):
        if match := _NAME.match(path.name):
            found.append(Backup(path, datetime.strptime(match[1], _STAMP).replace(tzinfo=UTC)))
    return sorted(found, key=lambda b: b.taken_at, reverse=True)


def latest_backup(directory: Path) -> Backup:
    for found in list_backups(directory):
        if found.manifest.is_file():
            return found
    raise BackupError(f"no backup with a manifest in {directory}")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def create(path: Path, mode: int = 0o600) -> IO[bytes]:
    """A new file only its owner can read (backups), whatever the umask lets others do."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode), "wb")


def write_synced(path: Path, data: bytes, mode: int = 0o600) -> None:
    with create(path, mode) as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def partial_name(final: Path) -> Path:
    """A hidden temporary name: no glob for backups (or node_exporter's *.prom) ever matches it."""
    return final.with_name(f".{final.name}.partial")


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """One backup run per directory at a time (cron and a manual run may overlap)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(f"another backup is running in {directory}") from None
        yield
    finally:
        os.close(fd)


def remove_leftovers(directory: Path) -> None:
    """Partial files of a run that was killed, and manifests whose backup never got its final name."""
    for path in directory.glob(".neuropilot*.partial"):
        path.unlink(missing_ok=True)
    for path in directory.glob("neuropilot-*.manifest.json"):
        if not path.with_name(path.name.removesuffix(".manifest.json") + ".dump.gpg").exists():
            path.unlink(missing_ok=True)


def write_metrics(path: Path, when: float) -> None:
    """node_exporter's textfile collector (and /metrics) read this; replaced atomically."""
    text = (
        f"# HELP {BACKUP_METRIC} Unix time of the last successful NeuroPilot backup.\n"
        f"# TYPE {BACKUP_METRIC} gauge\n"
        f"{BACKUP_METRIC} {int(when)}\n"
    )
    tmp = partial_name(path)
    write_synced(tmp, text.encode(), mode=0o644)  # node_exporter may run as another user
    tmp.rename(path)
    fsync(path.parent)
