"""Request heads against a real `neuropilot serve` process over raw sockets (httpguard.py).

Oversized or unfinished heads are refused and the connection closed, the server's memory stays flat,
and normal clients (keep-alive, pipelining, heads just under the limits) are served meanwhile.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from tests.pg import Db
from tests.test_cli import free_port

GET = b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n"


@pytest.fixture(scope="module")
def server(cluster: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, int]]:
    """(port, pid) of one `neuropilot serve` on a database of its own, header timeout 1 s."""
    from tests.conftest import JWT_KEYS

    db: Db = cluster.clone()  # type: ignore[attr-defined]
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "MIGRATOR_", "NEUROPILOT_"))}
    env |= {
        "DATABASE_URL": db.app_dsn,
        "MIGRATOR_DATABASE_URL": db.owner_dsn,
        "NEUROPILOT_APP_ROLE": db.app_role,
        "NEUROPILOT_JWT_KEYS": ",".join(f"{k}:{s}" for k, s in JWT_KEYS),
        "NEUROPILOT_DATA_DIR": str(tmp_path_factory.mktemp("data")),
        "NEUROPILOT_HEADER_TIMEOUT_S": "1",
        "NEUROPILOT_RATE_LIMIT_IP_PER_MIN": "0",
        "PORT": str(port),
    }
    proc = subprocess.Popen([sys.executable, "-m", "neuropilot", "serve"], env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
            with contextlib.suppress(httpx2.TransportError):
                if httpx2.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            time.sleep(0.2)
        yield port, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        cluster.drop(db.name)  # type: ignore[attr-defined]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def read_all(sock: socket.socket) -> bytes:
    """Everything until the server closes (or resets) the connection."""
    chunks = []
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def read_responses(sock: socket.socket, n: int) -> list[bytes]:
    """n complete responses (head + Content-Length body) from a kept-alive connection."""
    buffer, responses = b"", []
    while len(responses) < n:
        while b"\r\n\r\n" not in buffer:
            chunk = sock.recv(65536)
            assert chunk, f"closed after {len(responses)} responses"
            buffer += chunk
        head, _, rest = buffer.partition(b"\r\n\r\n")
        lines = head.lower().split(b"\r\n")
        length = next(int(line.split(b":")[1]) for line in lines if line.startswith(b"content-length"))
        while len(rest) < length:
            rest += sock.recv(65536)
        responses.append(head + b"\r\n\r\n" + rest[:length])
        buffer = rest[length:]
    return responses


def send_until_refused(port: int, first: bytes, filler: bytes, total: int) -> bytes:
    """Send `first`, then `filler` until `total` bytes are out or the server cuts us off; what it answered."""
    sock = connect(port)
    sent = 0
    try:
        sock.sendall(first)
        while sent < total:
            sock.sendall(filler)
            sent += len(filler)
    except (BrokenPipeError, ConnectionResetError):
        pass
    sock.settimeout(10)
    with sock:
        return read_all(sock)


def healthy(port: int) -> bool:
    return httpx2.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200


def test_a_huge_header_line_is_refused_with_431(server: tuple[int, int]) -> None:
    port, _ = server
    answer = send_until_refused(port, b"GET /health HTTP/1.1\r\nHost: t\r\nX-Big: ", b"a" * 65536, 32 * 1024 * 1024)
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert b"application/problem+json" in answer and b"connection: close" in answer.lower()


def test_a_header_line_over_8_kib_complete_in_one_chunk_is_431(server: tuple[int, int]) -> None:
    port, _ = server
    with connect(port) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n")
        assert read_all(sock).startswith(b"HTTP/1.1 431 ")


def test_more_than_100_headers_are_431(server: tuple[int, int]) -> None:
    port, _ = server
    with connect(port) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(101)) + b"\r\n")
        assert read_all(sock).startswith(b"HTTP/1.1 431 ")


def test_a_request_line_over_8_kib_is_414(server: tuple[int, int]) -> None:
    port, _ = server
    with connect(port) as sock:
        sock.sendall(b"GET /health?" + b"a" * 9000 + b" HTTP/1.1\r\nHost: t\r\n\r\n")
        assert read_all(sock).startswith(b"HTTP/1.1 414 ")


def test_many_headers_under_each_limit_but_over_64_kib_in_total_are_431(server: tuple[int, int]) -> None:
    port, _ = server
    lines = b"".join(b"X-%d: %s\r\n" % (i, b"v" * 8000) for i in range(9))  # 9 lines of 8 KB: 72 KB
    with connect(port) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\n" + lines + b"\r\n")
        assert read_all(sock).startswith(b"HTTP/1.1 431 ")


def test_heads_just_under_the_limits_are_served_even_when_they_trickle_in(server: tuple[int, int]) -> None:
    port, _ = server
    lines = b"".join(b"X-%d: %s\r\n" % (i, b"v" * 8000) for i in range(7))  # 56 KB, 7 lines under 8 KiB
    request = b"GET /health HTTP/1.1\r\nHost: t\r\n" + lines + b"\r\n"
    with connect(port) as sock:
        for start in range(0, len(request), 1000):
            sock.sendall(request[start : start + 1000])
            time.sleep(0.001)
        assert read_responses(sock, 1)[0].startswith(b"HTTP/1.1 200 ")


def test_unfinished_huge_heads_keep_the_server_small_and_others_served(server: tuple[int, int]) -> None:
    """16 clients each start a 16 MiB header line and never finish it; before the fix: +300 MB."""
    port, pid = server
    before = rss_mb(pid)
    answers: list[bytes] = []

    def attack() -> None:
        first = b"GET /health HTTP/1.1\r\nHost: t\r\nX-Big: "
        answers.append(send_until_refused(port, first, b"a" * 65536, 16 * 1024 * 1024))

    threads = [threading.Thread(target=attack) for _ in range(16)]
    for thread in threads:
        thread.start()
    assert healthy(port)  # served while the attack runs
    for thread in threads:
        thread.join(timeout=60)
    after = rss_mb(pid)
    print(f"server RSS before {before:.1f} MB, after 16 unfinished 16 MiB header lines {after:.1f} MB")
    assert len(answers) == 16 and all(a.startswith(b"HTTP/1.1 431 ") or a == b"" for a in answers)
    assert after - before < 25, (before, after)
    assert healthy(port)


def test_a_head_not_finished_in_time_is_408_and_closed(server: tuple[int, int]) -> None:
    port, _ = server
    with connect(port) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\n")
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            for _ in range(20):  # slowloris: a byte every 0.2 s never ends the head
                sock.sendall(b"X")
                time.sleep(0.2)
        answer = read_all(sock)
        assert answer.startswith(b"HTTP/1.1 408 ")
        assert time.monotonic() - started < 3


def test_a_connection_that_sends_nothing_is_closed(server: tuple[int, int]) -> None:
    port, _ = server
    with connect(port) as sock:
        started = time.monotonic()
        assert read_all(sock) == b""
        assert time.monotonic() - started < 3


def test_keep_alive_and_pipelining_still_work(server: tuple[int, int]) -> None:
    port, _ = server
    with connect(port) as sock:
        for _ in range(3):  # keep-alive: one request after the other on one connection
            sock.sendall(GET)
            assert read_responses(sock, 1)[0].startswith(b"HTTP/1.1 200 ")
        sock.sendall(GET * 5)  # pipelined: five at once
        assert [r[:13] for r in read_responses(sock, 5)] == [b"HTTP/1.1 200 "] * 5
        time.sleep(1.5)  # longer than the header timeout: idle between requests is keep-alive's business
        sock.sendall(GET)
        assert read_responses(sock, 1)[0].startswith(b"HTTP/1.1 200 ")


def test_a_content_length_of_5000_digits_is_a_400_not_a_500(server: tuple[int, int]) -> None:
    port, _ = server
    with connect(port) as sock:
        sock.sendall(b"POST /v1/counts HTTP/1.1\r\nHost: t\r\nContent-Length: " + b"9" * 5000 + b"\r\n\r\n{}")
        assert read_all(sock).startswith(b"HTTP/1.1 400 ")
