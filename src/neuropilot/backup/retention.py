"""Retention: the newest backup, the newest of each of N latest days and M latest ISO weeks."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from datetime import datetime
from pathlib import Path

from neuropilot.backup.files import list_backups


def _newest_per(newest_first: Sequence[datetime], period: Callable[[datetime], Hashable], limit: int) -> set[datetime]:
    chosen: dict[Hashable, datetime] = {}
    for stamp in newest_first:
        if len(chosen) >= limit:
            break
        chosen.setdefault(period(stamp), stamp)
    return set(chosen.values())


def retained(stamps: Sequence[datetime], daily: int, weekly: int) -> set[datetime]:
    """The newest backup, the newest of each of the `daily` latest days and of the `weekly` latest ISO weeks."""
    newest_first = sorted(stamps, reverse=True)
    keep = set(newest_first[:1])
    keep |= _newest_per(newest_first, lambda t: t.date(), daily)
    keep |= _newest_per(newest_first, lambda t: t.isocalendar()[:2], weekly)
    return keep


def prune(directory: Path, daily: int, weekly: int) -> list[Path]:
    """Delete the backups (and their manifests) retention does not keep; returns the deleted backups."""
    backups = list_backups(directory)
    keep = retained([b.taken_at for b in backups], daily, weekly)
    deleted = [b for b in backups if b.taken_at not in keep]
    for old in deleted:
        old.path.unlink(missing_ok=True)
        old.manifest.unlink(missing_ok=True)
    return [b.path for b in deleted]
