"""Checks of the backups (CONTRACT §8): the passphrase file, and the newest backup's age and integrity."""

from __future__ import annotations

import stat
from datetime import UTC, datetime

from neuropilot.backup import BackupError, list_backups, manifest_path, read_manifest
from neuropilot.config import Settings
from neuropilot.doctor.report import Check

MAX_AGE_H = 26  # a nightly backup plus two hours of slack; the same bound as ops/prometheus/alerts.yml


def run(settings: Settings, now: datetime | None = None) -> list[Check]:
    return [passphrase(settings), newest(settings, now or datetime.now(UTC))]


def passphrase(settings: Settings) -> Check:
    path = settings.backup_passphrase_file
    if path is None:
        status = Check.fail if settings.production else Check.warn
        return status("backup_passphrase", "NEUROPILOT_BACKUP_PASSPHRASE_FILE is not set: backups would be refused")
    try:
        mode, first_line = path.stat().st_mode, path.read_bytes().split(b"\n", 1)[0]
    except OSError as exc:
        return Check.fail("backup_passphrase", f"cannot read {path}: {exc.strerror}")
    if not stat.S_ISREG(mode):
        return Check.fail("backup_passphrase", f"{path} is not a regular file")
    if not first_line.strip():
        return Check.fail("backup_passphrase", f"{path} has an empty first line (gpg uses the first line)")
    if mode & 0o077:
        return Check.fail(
            "backup_passphrase", f"{path} is mode {stat.S_IMODE(mode):04o}: readable by group or others; chmod 600"
        )
    return Check.ok("backup_passphrase", f"{path}: mode {stat.S_IMODE(mode):04o}, not empty")


def newest(settings: Settings, now: datetime) -> Check:
    directory = settings.backup_dir
    found = list_backups(directory) if directory.is_dir() else []
    if not found:
        return Check.warn("backup_newest", f"no backup in {directory}: run `neuropilot backup` (and schedule it)")
    latest = found[0]
    if not manifest_path(latest.path).is_file():
        return Check.fail("backup_newest", f"{latest.path.name} has no manifest beside it: it cannot be verified")
    try:
        read_manifest(latest.path)  # the sha256 of the file against its manifest, and a known schema version
    except BackupError as exc:
        return Check.fail("backup_newest", str(exc))
    hours = (now - latest.taken_at).total_seconds() / 3600
    if hours > MAX_AGE_H:
        return Check.warn("backup_newest", f"{latest.path.name} is {hours:.0f} h old (more than {MAX_AGE_H} h)")
    return Check.ok("backup_newest", f"{latest.path.name}, {hours:.1f} h old, matches its manifest's sha256")
