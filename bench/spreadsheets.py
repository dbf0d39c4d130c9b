"""`make bench-spreadsheets`: CSV export memory and CSV import speed (CONTRACT §16), measured on
`neuropilot serve` itself (one worker, its own process, over loopback HTTP).

Export: 100k items and 100k movements; the server's RSS (VmRSS, sampled every 20 ms while the
client reads the stream, and VmHWM, the kernel's peak) must stay within 30 MB of its idle RSS.
Import: 5,000 new items, then the same 5,000 with every row changed, then unchanged; each must
take < 5 s end to end (upload, parse, checks, one transaction). Exits 1 if a target is missed.

Runs on the embedded PostgreSQL unless NEUROPILOT_TEST_DSN names a superuser DSN (see tests/pg.py).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import psycopg
from tests.pg import Cluster, Db, superuser_dsn

from neuropilot.config import Settings
from neuropilot.tokens import Tokens, load_keys

ROWS, IMPORT_ROWS = 100_000, 5_000
RSS_BUDGET_MB, IMPORT_BUDGET_S = 30.0, 5.0
JWT_KEY = ("bench", "b" * 64)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def status_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise LookupError(field)


def seed(db: Db) -> str:
    """100k items and, on one location, 100k movements; an admin to export and import as."""
    with psycopg.connect(db.owner_dsn, autocommit=True) as conn:
        conn.execute(
            "insert into item (item_number, name, unit, category, min_qty, max_qty, unit_cost)"
            " select 'ITEM-' || lpad(n::text, 6, '0'), 'Item ' || n || ', \"quoted\"', 'kg', 'cat-' || n %% 20,"
            " 5, 20, round((random() * 20)::numeric, 4) from generate_series(1, %s) as n",
            (ROWS,),
        )
        conn.execute("insert into location (code, name, temp_zone) values ('DRY', 'Dry store', 'dry')")
        conn.execute(
            "insert into movement (item_id, location_id, type, qty, created_at)"
            " select i.id, l.id, 'use', -1.5, now() - n * interval '1 second'"
            " from generate_series(1, %s) as n cross join location as l"
            " cross join lateral (select id from item where item_number = 'ITEM-000001') as i",
            (ROWS,),
        )
        row = conn.execute(
            "insert into app_user (email, display_name, role, password_hash)"
            " values ('bench@example.test', 'Bench', 'admin', 'minted tokens only') returning id::text"
        ).fetchone()
        assert row is not None
        return str(row[0])


def start_server(db: Db, port: int) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "DATABASE_URL": db.app_dsn,
        "MIGRATOR_DATABASE_URL": db.owner_dsn,
        "NEUROPILOT_APP_ROLE": db.app_role,
        "NEUROPILOT_JWT_KEYS": ":".join(JWT_KEY),
        "PORT": str(port),
        "NEUROPILOT_RATE_LIMIT_IP_PER_MIN": "0",
        "NEUROPILOT_RATE_LIMIT_USER_PER_MIN": "0",
        "NEUROPILOT_STATEMENT_TIMEOUT_MS": "30000",
    }
    server = Path(sys.executable).parent / "neuropilot"
    proc = subprocess.Popen([str(server), "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).read()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("neuropilot serve did not start")


def request(url: str, token: str, **kwargs: Any) -> urllib.request.Request:
    headers = {"Authorization": f"Bearer {token}"} | kwargs.pop("headers", {})
    return urllib.request.Request(url, headers=headers, **kwargs)  # noqa: S310


def export(base: str, token: str, pid: int, path: str) -> dict[str, float]:
    """Stream one export, sampling the server's RSS while the client reads it."""
    peak, done = [status_mb(pid, "VmRSS")], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak.append(status_mb(pid, "VmRSS"))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started, size, lines = time.perf_counter(), 0, 0
    with urllib.request.urlopen(request(base + path, token, headers={"Accept": "text/csv"}), timeout=300) as r:  # noqa: S310
        while chunk := r.read(64 * 1024):
            size, lines = size + len(chunk), lines + chunk.count(b"\n")
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    return {"seconds": elapsed, "mb": size / 1e6, "lines": lines, "peak_rss": max(peak)}


def import_file(base: str, token: str, body: bytes) -> tuple[float, dict[str, Any]]:
    import json

    started = time.perf_counter()
    req = request(base + "/v1/items/import", token, headers={"Content-Type": "text/csv"}, data=body, method="POST")
    with urllib.request.urlopen(req, timeout=120) as r:  # noqa: S310
        result = json.loads(r.read())
    return time.perf_counter() - started, result


def items_csv(version: int) -> bytes:
    rows = [
        f"NEW-{n:05d},New item {n} v{version},kg,cat-{n % 7},{version}.5,{version + 20},{n % 90}.125"
        for n in range(IMPORT_ROWS)
    ]
    return ("item_number,name,unit,category,min_qty,max_qty,unit_cost\n" + "\n".join(rows) + "\n").encode()


def main() -> int:
    failed = False
    with superuser_dsn() as dsn:
        cluster = Cluster(dsn)
        cluster.setup()
        try:
            db = cluster.clone()
            admin = seed(db)
            token = Tokens(load_keys(Settings(jwt_keys=(JWT_KEY,)))).issue_access(admin, "bench@example.test", "admin")
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            proc = start_server(db, port)
            try:
                # warm up the code paths of both kinds of response, then let the process settle
                urllib.request.urlopen(request(base + "/v1/items?limit=200", token)).read()  # noqa: S310
                export(base, token, proc.pid, "/v1/locations")
                time.sleep(1)
                idle = status_mb(proc.pid, "VmRSS")
                print(f"idle RSS {idle:.1f} MB")
                for path in ("/v1/items", "/v1/movements", "/v1/items"):
                    m = export(base, token, proc.pid, path)
                    grew = m["peak_rss"] - idle
                    print(
                        f"GET {path} as CSV: {m['lines'] - 1:.0f} rows, {m['mb']:.1f} MB in {m['seconds']:.2f} s"
                        f" ({(m['lines'] - 1) / m['seconds']:.0f} rows/s); peak RSS {m['peak_rss']:.1f} MB"
                        f" (+{grew:.1f} MB over idle)"
                    )
                    failed |= grew > RSS_BUDGET_MB or m["lines"] - 1 != ROWS
                hwm = status_mb(proc.pid, "VmHWM")
                print(
                    f"VmHWM after the exports: {hwm:.1f} MB (+{hwm - idle:.1f} MB over idle; budget {RSS_BUDGET_MB} MB)"
                )
                failed |= hwm - idle > RSS_BUDGET_MB
                for label, version in (("create", 1), ("update", 2), ("unchanged", 2)):
                    seconds, result = import_file(base, token, items_csv(version))
                    counts = {k: result[k] for k in ("created", "updated", "unchanged")}
                    print(f"POST /v1/items/import, {IMPORT_ROWS} rows ({label}): {seconds:.2f} s {counts}")
                    failed |= seconds >= IMPORT_BUDGET_S
            finally:
                proc.terminate()
                proc.wait(30)
        finally:
            cluster.teardown()
    print("FAILED: a target was missed" if failed else "ok: every target met")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
