"""The off-site copy: rclone copy of the backup and its manifest, then rclone check."""

from __future__ import annotations

from pathlib import Path

from neuropilot.backup.common import Say
from neuropilot.backup.dump import run
from neuropilot.backup.files import manifest_path


def copy_to_remote(remote: str, backup: Path, say: Say) -> None:
    names = [backup.name, manifest_path(backup).name]
    only = [arg for name in names for arg in ("--include", f"/{name}")]
    run(["rclone", "copy", str(backup.parent), remote, *only])
    run(["rclone", "check", "--one-way", str(backup.parent), remote, *only])
    say(f"remote: copied {len(names)} files to {remote}; rclone check --one-way found no differences")
