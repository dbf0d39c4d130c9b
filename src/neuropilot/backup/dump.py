"""pg_dump | gpg: the passphrase file, the pipes between processes (no shell, no plaintext on disk),
gpg's AES-256 with MDC, and the encrypted dump itself."""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from psycopg.conninfo import conninfo_to_dict, make_conninfo

from neuropilot.backup.common import BackupError
from neuropilot.backup.files import create
from neuropilot.backup.pgtools import PgTools
from neuropilot.config import Settings


def passphrase_file(settings: Settings) -> Path:
    """The passphrase file, refused when unset, unreadable or empty: never an unencrypted backup."""
    path = settings.backup_passphrase_file
    if path is None:
        raise BackupError(
            "NEUROPILOT_BACKUP_PASSPHRASE_FILE is not set; refusing to write an unencrypted backup. Put a long random"
            " passphrase in a file only this user can read (umask 077; openssl rand -base64 48 > FILE) and set it."
        )
    try:
        first_line = path.read_bytes().split(b"\n", 1)[0]
    except OSError as exc:
        raise BackupError(f"cannot read the passphrase file {path}: {exc.strerror}") from None
    if not first_line.strip():
        raise BackupError(f"the passphrase file {path} has an empty first line (gpg uses the first line)")
    return path


def libpq(dsn: str) -> tuple[str, dict[str, str]]:
    """A conninfo without the password (any user can read a command line) and an environment holding it."""
    params = conninfo_to_dict(dsn)
    env = dict(os.environ)
    if (password := params.pop("password", None)) is not None:
        env["PGPASSWORD"] = str(password)
    return make_conninfo("", **params), env


@dataclass(frozen=True)
class Ran:
    name: str
    returncode: int
    stderr: str


def tail(stream: IO[bytes]) -> str:
    stream.seek(0)
    lines = stream.read().decode(errors="replace").strip().splitlines()
    return " | ".join(lines[-3:])


def pipe(
    producer: list[str],
    consumer: list[str],
    *,
    producer_env: dict[str, str] | None = None,
    consumer_env: dict[str, str] | None = None,
    consumer_stdout: IO[bytes] | None = None,
) -> list[Ran]:
    """producer | consumer without a shell; the data only ever passes through the pipe."""
    with tempfile.TemporaryFile() as err1, tempfile.TemporaryFile() as err2:
        first = subprocess.Popen(producer, stdout=subprocess.PIPE, stderr=err1, env=producer_env)
        assert first.stdout is not None
        try:
            second = subprocess.Popen(
                consumer, stdin=first.stdout, stdout=consumer_stdout, stderr=err2, env=consumer_env
            )
        except BaseException:
            first.kill()
            first.wait()
            raise
        finally:
            first.stdout.close()  # the consumer holds the read end; if it dies the producer gets SIGPIPE
        try:
            codes = (first.wait(), second.wait())
        except BaseException:
            for process in (first, second):
                process.kill()
                process.wait()
            raise
        return [
            Ran(Path(producer[0]).name, codes[0], tail(err1)),
            Ran(Path(consumer[0]).name, codes[1], tail(err2)),
        ]


def check(ran: list[Ran]) -> None:
    for step in ran:  # the producer first: its error is the cause, the consumer's is the consequence
        if step.returncode != 0:
            raise BackupError(f"{step.name} failed (exit {step.returncode}): {step.stderr or 'no message'}")


def run(command: list[str]) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = " | ".join(done.stderr.strip().splitlines()[-3:])
        raise BackupError(f"{' '.join(command[:2])} failed (exit {done.returncode}): {tail or 'no message'}")
    return done.stdout


def gpg_encrypt(passphrase: Path) -> list[str]:
    return [
        "gpg", "--batch", "--yes", "--no-tty", "--quiet", "--symmetric",
        "--cipher-algo", "AES256", "--s2k-mode", "3", "--s2k-digest-algo", "SHA512", "--s2k-count", "65011712",
        "--compress-algo", "none",  # a custom-format dump is compressed already
        "--no-symkey-cache",  # never leave the passphrase cached in a gpg-agent
        "--passphrase-file", str(passphrase),
    ]  # fmt: skip


def gpg_decrypt(passphrase: Path, file: Path) -> list[str]:
    return [
        "gpg", "--batch", "--no-tty", "--quiet", "--no-symkey-cache",
        "--passphrase-file", str(passphrase), "--decrypt", str(file),
    ]  # fmt: skip


def dump_encrypted(tools: PgTools, dsn: str, snapshot: str | None, output: Path, passphrase: Path) -> None:
    """pg_dump -Fc | gpg > output; on any failure output is removed."""
    conninfo, env = libpq(dsn)
    dump = [tools.path("pg_dump"), "--format=custom", "--no-password", "--lock-wait-timeout=60s"]
    dump += [f"--dbname={conninfo}"] + ([f"--snapshot={snapshot}"] if snapshot else [])
    try:
        with create(output) as out:
            check(pipe(dump, gpg_encrypt(passphrase), producer_env=env, consumer_stdout=out))
            os.fsync(out.fileno())
    except BaseException:
        output.unlink(missing_ok=True)
        raise
