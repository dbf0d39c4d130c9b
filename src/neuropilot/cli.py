"""The `neuropilot` command: serve, migrate, user create, demo-data, backup [verify], restore, doctor."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import psycopg

from neuropilot import passwords
from neuropilot.config import ConfigError, Settings
from neuropilot.migrate import MigrationError, migrate, status


class CliError(Exception):
    pass


def _embedded(settings: Settings) -> Settings:
    """Start the embedded PostgreSQL, migrate it, and point the settings at it."""
    if settings.production:
        raise CliError("NEUROPILOT_ENV=production needs DATABASE_URL and MIGRATOR_DATABASE_URL; no embedded database")
    from neuropilot.embedded import start

    print(f"starting the embedded PostgreSQL in {settings.data_dir / 'pgdata'} …", flush=True)
    db = start(settings.data_dir, settings.app_role)
    migrate(db.owner_dsn, settings.app_role)
    return replace(settings, database_url=db.app_dsn, migrator_database_url=db.owner_dsn)


def _migrator_dsn(settings: Settings) -> str:
    if settings.migrator_database_url:
        return settings.migrator_database_url
    if settings.database_url:
        raise CliError("DATABASE_URL is set but MIGRATOR_DATABASE_URL is not; migrations run as the schema owner")
    dsn = _embedded(settings).migrator_database_url
    assert dsn is not None
    return dsn


MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


@contextlib.contextmanager
def metrics_directory(workers: int) -> Iterator[None]:
    """Several workers write their metrics into one directory of per-process files, fresh for each server
    start (files of an earlier run would add to this one's counters): PROMETHEUS_MULTIPROC_DIR emptied
    when set, else a temporary directory removed when the server stops. Set before any worker starts,
    because prometheus_client picks its mode when first imported."""
    configured = os.environ.get(MULTIPROC_ENV)
    if configured:
        path = Path(configured)
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        for leftover in path.glob("*.db"):
            leftover.unlink()
        yield
    elif workers > 1:
        os.environ[MULTIPROC_ENV] = tempfile.mkdtemp(prefix="neuropilot-metrics-")
        try:
            yield
        finally:
            shutil.rmtree(os.environ.pop(MULTIPROC_ENV), ignore_errors=True)
    else:
        yield


def cmd_serve(settings: Settings, args: argparse.Namespace) -> None:
    """uvicorn with NEUROPILOT_WORKERS processes, each building the app from the environment
    (neuropilot.app:serve_app), uvloop when installed, and httptools with bounded request heads."""
    if settings.database_url is None:
        settings = _embedded(settings)
        from neuropilot.demo import ensure_demo

        assert settings.migrator_database_url is not None
        created = ensure_demo(settings.migrator_database_url)
        if created:
            print(f"\n  demo admin created (shown once): {created[0]}  password: {created[1]}\n", flush=True)
        # The workers read their settings from the environment: point them at the embedded database.
        assert settings.database_url is not None
        os.environ["DATABASE_URL"], os.environ["MIGRATOR_DATABASE_URL"] = settings.database_url, _migrator_dsn(settings)
    from neuropilot.tokens import load_keys

    load_keys(settings)  # in development, the generated key is written once here, not raced for by each worker
    with metrics_directory(settings.workers):
        _uvicorn(settings)


def _uvicorn(settings: Settings) -> None:
    import uvicorn

    uvicorn.run(
        "neuropilot.app:serve_app",
        factory=True,
        http="neuropilot.httpguard:BoundedHttpToolsProtocol",  # bounded request heads (httpguard.py)
        workers=settings.workers,
        host=settings.host,
        port=settings.port,
        proxy_headers=False,  # X-Forwarded-For is believed only from NEUROPILOT_TRUSTED_PROXIES
        server_header=False,
        date_header=False,
        access_log=False,  # one structured line per request comes from the app
        timeout_graceful_shutdown=settings.shutdown_grace_s,  # SIGTERM: finish in-flight requests, then exit
    )


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> None:
    dsn = _migrator_dsn(settings)
    if args.action == "status":
        st = status(dsn, settings.app_role)
        for version, name, applied_at in st.applied:
            print(f"applied  {version:04d}_{name}  {applied_at}")
        for m in st.pending:
            print(f"pending  {m.path.name}")
        for name in st.changed_policies:
            print(f"policies {name} will be (re)applied")
        if not st.pending and not st.changed_policies:
            print("up to date")
        return
    applied = migrate(dsn, settings.app_role)
    print(f"{applied} migration(s) applied; up to date")


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if getpass.getpass("again: ") != first:
            raise CliError("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\n")


def cmd_user_create(settings: Settings, args: argparse.Namespace) -> None:
    from neuropilot.users import create_user

    password = _read_password()
    passwords.check_strength(password)
    with psycopg.connect(_migrator_dsn(settings)) as conn:
        user = create_user(conn, args.email, args.role, args.display_name, password)
    print(f"created {user['role']} {user['email']} ({user['id']})")


def cmd_demo_data(settings: Settings, args: argparse.Namespace) -> None:
    from neuropilot.demo import create_demo_data

    written = create_demo_data(_migrator_dsn(settings), args.admin_email)
    print(f"demo data written ({written} counts and movements)")


def cmd_keys_generate(settings: Settings, args: argparse.Namespace) -> None:
    from neuropilot.tokens import new_key

    kid, secret = new_key()
    print(f"{kid}:{secret}")
    print(
        "put it FIRST in NEUROPILOT_JWT_KEYS to sign with it; keep the old key after it until tokens it signed"
        " have expired (90 days for refresh tokens)",
        file=sys.stderr,
    )


def _backup_dsns(settings: Settings) -> tuple[str, str]:
    """The owner's DSN, and one that may create and drop databases: the embedded superuser, else the owner."""
    if settings.migrator_database_url or settings.database_url or settings.production:
        dsn = _migrator_dsn(settings)
        return dsn, dsn
    from neuropilot.embedded import start

    print(f"starting the embedded PostgreSQL in {settings.data_dir / 'pgdata'} …", file=sys.stderr, flush=True)
    db = start(settings.data_dir, settings.app_role)
    migrate(db.owner_dsn, settings.app_role, say=lambda line: print(line, file=sys.stderr))
    return db.owner_dsn, db.superuser_dsn


def cmd_backup(settings: Settings, args: argparse.Namespace) -> None:
    from neuropilot import backup

    owner_dsn, admin_dsn = _backup_dsns(settings)
    try:
        if args.action == "verify":
            print(backup.verify(settings, owner_dsn, admin_dsn=admin_dsn))
        else:
            print(backup.backup(settings, owner_dsn))
    except backup.BackupError as exc:
        raise CliError(str(exc)) from None


def cmd_restore(settings: Settings, args: argparse.Namespace) -> None:
    from pathlib import Path

    from neuropilot import backup

    owner_dsn, admin_dsn = _backup_dsns(settings)
    try:
        target = backup.restore(
            settings, owner_dsn, Path(args.file), args.target, force=args.force, admin_dsn=admin_dsn
        )
    except backup.BackupError as exc:
        raise CliError(str(exc)) from None
    print(f"restored {args.file} into database {target}")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="neuropilot", description="NeuroPilot inventory API")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="run the HTTP API on HOST:PORT").set_defaults(func=cmd_serve)
    m = sub.add_parser("migrate", help="apply migrations and policies (as MIGRATOR_DATABASE_URL)")
    m.add_argument("action", nargs="?", choices=["status"], help="list applied and pending instead")
    m.set_defaults(func=cmd_migrate)
    user = sub.add_parser("user", help="manage users").add_subparsers(dest="user_command", required=True)
    create = user.add_parser("create", help="create a user; the password is read from stdin or a prompt")
    create.add_argument("--email", required=True)
    create.add_argument("--role", required=True, choices=["admin", "manager", "counter", "viewer"])
    create.add_argument("--display-name", required=True)
    create.set_defaults(func=cmd_user_create)
    keys = sub.add_parser("keys", help="JWT signing keys").add_subparsers(dest="keys_command", required=True)
    keys.add_parser("generate", help="print a new kid:secret for NEUROPILOT_JWT_KEYS").set_defaults(
        func=cmd_keys_generate
    )
    b = sub.add_parser("backup", help="encrypted pg_dump into NEUROPILOT_BACKUP_DIR (and NEUROPILOT_BACKUP_REMOTE)")
    b.add_argument("action", nargs="?", choices=["verify"], help="restore drill of the newest backup instead")
    b.set_defaults(func=cmd_backup)
    r = sub.add_parser("restore", help="restore a neuropilot-….dump.gpg (its .manifest.json beside it)")
    r.add_argument("file")
    r.add_argument("--target", help="database to restore into (default: MIGRATOR_DATABASE_URL's database)")
    r.add_argument("--force", action="store_true", help="drop and recreate a non-empty target first")
    r.set_defaults(func=cmd_restore)
    demo = sub.add_parser("demo-data", help="add the demo data set to the database")
    demo.add_argument("--admin-email", default="admin@neuropilot.local", help="the admin the rows are attributed to")
    demo.set_defaults(func=cmd_demo_data)
    doctor = sub.add_parser("doctor", help="the pre-deploy check of the environment and database (exit 1 on FAIL)")
    doctor.add_argument("--json", action="store_true", help='print {"checks": [{"name", "status", "detail"}]}')
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "doctor":  # it reports a bad environment as a FAIL instead of refusing it
        from neuropilot import doctor

        return doctor.main(args.json)
    try:
        args.func(Settings.from_env(os.environ), args)
    except (CliError, ConfigError, MigrationError, passwords.WeakPassword, ValueError) as exc:
        print(f"neuropilot: {exc}", file=sys.stderr)
        return 2
    except psycopg.Error as exc:
        print(f"neuropilot: database error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C is how `make run` is meant to stop; uvicorn re-raises it after draining
        return 0
    return 0
