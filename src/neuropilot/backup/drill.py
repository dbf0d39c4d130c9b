"""`neuropilot backup verify`, the restore drill: the newest backup into a scratch database, checked, then dropped."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from neuropilot.backup.common import Say, say_stderr
from neuropilot.backup.files import latest_backup
from neuropilot.backup.restore import drop_database, restore
from neuropilot.config import Settings


def verify(settings: Settings, owner_dsn: str, *, admin_dsn: str | None = None, say: Say | None = None) -> str:
    """The restore drill: the newest backup into a scratch database, checked, then dropped."""
    say = say or say_stderr("neuropilot backup verify")
    newest = latest_backup(settings.backup_dir)
    scratch = f"neuropilot_verify_{datetime.now(UTC):%Y%m%d%H%M%S}_{secrets.token_hex(3)}"
    say(f"drill: newest backup {newest.path.name} → scratch database {scratch}")
    admin = admin_dsn or owner_dsn
    try:
        restore(settings, owner_dsn, newest.path, scratch, admin_dsn=admin, say=say)
    finally:
        drop_database(admin, scratch)
        say(f"drop: scratch database {scratch} dropped")
    return f"verify OK: {newest.path.name} restores, matches its manifest and passes the RLS catalog checks"
