"""A real `neuropilot serve` in a subprocess, for tests that need several processes (workers, instances)."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2

from tests.conftest import JWT_KEYS
from tests.pg import Db


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def random_ip() -> str:
    """A random 10/8 address: a rate-limit bucket of its own that no other test shares."""
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def serve_env(database: Db, data_dir: Path, **overrides: str) -> dict[str, str]:
    """The environment of a server on `database` (as the app role), with the test signing keys."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "MIGRATOR_", "NEUROPILOT_", "PROMETHEUS_", "REDIS_"))
    }
    return env | {
        "DATABASE_URL": database.app_dsn,
        "MIGRATOR_DATABASE_URL": database.owner_dsn,
        "NEUROPILOT_APP_ROLE": database.app_role,
        "NEUROPILOT_JWT_KEYS": ",".join(f"{kid}:{secret}" for kid, secret in JWT_KEYS),
        "NEUROPILOT_DATA_DIR": str(data_dir),
        "NEUROPILOT_POOL_MIN_SIZE": "1",
        "NEUROPILOT_POOL_MAX_SIZE": "3",
        "PYTHONUNBUFFERED": "1",
        **overrides,
    }


@contextlib.contextmanager
def served(env: dict[str, str], log: Path) -> Iterator[str]:
    """The server's base URL once /health answers 200; stopped with SIGINT (Ctrl-C) afterwards, and it must exit 0."""
    port = free_port()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "neuropilot", "serve"],
            env=env | {"HOST": "127.0.0.1", "PORT": str(port)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(proc, base, log)
        yield base
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, log.read_text()[-3000:]


def _wait_healthy(proc: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"server exited early: {log.read_text()[-3000:]}"
        try:
            headers = {"X-Forwarded-For": random_ip()}  # never the bucket a rate-limit test counts
            if httpx2.get(f"{base}/health", headers=headers, timeout=1).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"server did not become healthy: {log.read_text()[-3000:]}")
