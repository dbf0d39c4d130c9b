"""Encrypted backups, restores and the restore drill (CONTRACT §8).

backup (job.py): one REPEATABLE READ transaction exports its snapshot; the manifest (manifest.py: row
count and content checksum of every table, schema version) is computed inside it and pg_dump dumps that
very snapshot, so both describe the same state even while the API writes. pg_dump writes into a pipe
that gpg encrypts (dump.py: AES-256, with gpg's MDC for integrity), so no plaintext dump ever touches
disk. Files get their final names only once complete (files.py), then the remote copy (remote.py) and
retention (retention.py) run.

restore (restore.py): check the manifest and decrypt once to /dev/null before touching any database,
then gpg → pg_restore in one transaction, compare with the manifest, re-apply grants and policies and
check the catalog. verify (drill.py) does that into a scratch database and drops it.
"""

from neuropilot.backup.common import BackupError, Say, say_stderr
from neuropilot.backup.drill import verify
from neuropilot.backup.dump import dump_encrypted, passphrase_file
from neuropilot.backup.files import Backup, backup_name, latest_backup, list_backups, manifest_path, write_metrics
from neuropilot.backup.job import backup, require_full_read
from neuropilot.backup.manifest import (
    Manifest,
    TableSum,
    combined_checksum,
    compare,
    newest_known_version,
    read_manifest,
    schema_version,
    table_sums,
)
from neuropilot.backup.pgtools import PgTools, installed_tools, pick_tools
from neuropilot.backup.remote import copy_to_remote
from neuropilot.backup.restore import AUDIT_TRIGGER, catalog_problems, drop_database, restore
from neuropilot.backup.retention import prune, retained

__all__ = [
    "AUDIT_TRIGGER",
    "Backup",
    "BackupError",
    "Manifest",
    "PgTools",
    "Say",
    "TableSum",
    "backup",
    "backup_name",
    "catalog_problems",
    "combined_checksum",
    "compare",
    "copy_to_remote",
    "drop_database",
    "dump_encrypted",
    "installed_tools",
    "latest_backup",
    "list_backups",
    "manifest_path",
    "newest_known_version",
    "passphrase_file",
    "pick_tools",
    "prune",
    "read_manifest",
    "require_full_read",
    "restore",
    "retained",
    "say_stderr",
    "schema_version",
    "table_sums",
    "verify",
    "write_metrics",
]
