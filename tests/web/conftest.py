"""End-to-end fixtures: a real `neuropilot serve` on a database of the test cluster, a kitchen made through the
API, and Debian's Chromium driven by Playwright at a phone's size. One server and one browser per module, a
fresh browser context (cookies, storage) and page per test, checked after every test: no console errors, no
CSP violations, no token in script-readable storage, no horizontal scroll at 360 px.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import psycopg
import pytest

from tests.conftest import PASSWORD, ROLES
from tests.pg import Cluster, Db
from tests.web.build import build_dir

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"viewport": {"width": 360, "height": 740}, "has_touch": True, "is_mobile": True, "device_scale_factor": 2}
JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")
# Records CSP violations before any of the page's own code runs (Playwright injects this, the CSP does not apply).
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI);
});
"""


@dataclass
class Server:
    url: str
    db: Db
    proc: subprocess.Popen[str]
    emails: dict[str, str]
    ids: dict[str, str] = field(default_factory=dict)

    @contextmanager
    def api(self, role: str = "admin") -> Iterator[httpx2.Client]:
        """An API client signed in as role (body-mode tokens, as any non-browser client)."""
        with httpx2.Client(base_url=self.url, timeout=10) as client:
            r = client.post("/v1/auth/login", json={"email": self.emails[role], "password": PASSWORD})
            assert r.status_code == 200, r.text
            client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
            yield client

    def owner(self) -> psycopg.Connection:
        return psycopg.connect(self.db.owner_dsn, autocommit=True)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(proc: subprocess.Popen[str], url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"neuropilot serve exited with {proc.returncode}")
        try:
            if httpx2.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("neuropilot serve did not become healthy")


def start_server(db: Db, data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "MIGRATOR_", "NEUROPILOT_"))}
    env |= {
        "DATABASE_URL": db.app_dsn,
        "MIGRATOR_DATABASE_URL": db.owner_dsn,
        "NEUROPILOT_APP_ROLE": db.app_role,
        "NEUROPILOT_DATA_DIR": str(data_dir),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "PYTHONUNBUFFERED": "1",
    }
    log = (data_dir / "serve.log").open("w")  # a file, not a pipe nobody reads: a full pipe would stall the server
    proc = subprocess.Popen(
        [sys.executable, "-m", "neuropilot", "serve"], env=env, stdout=log, stderr=subprocess.STDOUT, text=True
    )
    log.close()
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(proc, url)
    except BaseException:
        proc.kill()
        raise
    return proc, url


def add_people(db: Db, password_hash: str) -> dict[str, str]:
    emails = {}
    with psycopg.connect(db.owner_dsn, autocommit=True) as conn:
        for role in ROLES:
            email = f"{role}@kitchen.test"
            conn.execute(
                "insert into app_user (email, display_name, role, password_hash) values (%s, %s, %s, %s)",
                (email, f"{role.title()} Cook", role, password_hash),
            )
            emails[role] = email
    return emails


def stock_the_kitchen(server: Server) -> None:
    """Two locations, four items, counts that leave flour below par, and a submitted order of flour and milk."""
    with server.api("admin") as api:
        _stock(server, api)


def _stock(server: Server, api: httpx2.Client) -> None:
    for code, name, zone in (("WALKIN", "Walk-in cooler", "cooler"), ("DRY", "Dry store", "dry")):
        r = api.post("/v1/locations", json={"code": code, "name": name, "temp_zone": zone})
        assert r.status_code == 201, r.text
        server.ids[code] = r.json()["id"]
    items = (
        ("FL-00", "Flour, type 00", "kg", "dry goods", "10", "40", "1.2500", "DRY", "3"),
        ("OIL-EV", "Olive oil", "l", "dry goods", "2", "10", "8.9000", "DRY", "6"),
        ("MLK-W", "Whole milk", "l", "dairy", "5", "20", "0.9900", "WALKIN", "12"),
        ("BTR", "Butter", "kg", "dairy", "2", "8", "7.5000", "WALKIN", "4"),
    )
    for number, name, unit, category, low, high, cost, where, counted in items:
        body = {"item_number": number, "name": name, "unit": unit, "category": category}
        r = api.post("/v1/items", json=body | {"min_qty": low, "max_qty": high, "unit_cost": cost})
        assert r.status_code == 201, r.text
        server.ids[number] = r.json()["id"]
        count = {"item_id": server.ids[number], "location_id": server.ids[where], "qty_on_hand": counted}
        assert api.post("/v1/counts", json=count).status_code == 201


def submitted_order(server: Server, number: str, lines: list[tuple[str, str, str]]) -> dict[str, Any]:
    body = {
        "supplier": "Mill & Dairy Ltd",
        "po_number": number,
        "lines": [{"item_id": server.ids[item], "req_qty": qty, "unit_price": price} for item, qty, price in lines],
    }
    with server.api("manager") as api:
        r = api.post("/v1/purchase-orders", json=body)
        assert r.status_code == 201, r.text
        r = api.post(f"/v1/purchase-orders/{r.json()['id']}/submit")
    assert r.status_code == 200, r.text
    return dict(r.json())


@pytest.fixture(scope="module")
def server(cluster: Cluster, password_hash: str) -> Iterator[Server]:
    build_dir()  # fails, saying `make install`, without a build
    db = cluster.clone()
    with tempfile.TemporaryDirectory(prefix="neuropilot-e2e-") as data_dir:
        try:
            emails = add_people(db, password_hash)
            proc, url = start_server(db, Path(data_dir))
            found = Server(url, db, proc, emails)
            try:
                stock_the_kitchen(found)
                yield found
            finally:
                proc.terminate()
                proc.wait(timeout=30)
        finally:
            cluster.drop(db.name)


# Module scope: Playwright's sync API keeps an event loop running in this thread while the browser is open,
# which asyncio.run in later test modules must not meet.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (os.access(CHROMIUM, os.X_OK) or shutil.which("chromium")):
        pytest.fail(f"Chromium is missing at {CHROMIUM}: apt-get install chromium (the console's end-to-end tests)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        found = p.chromium.launch(executable_path=shutil.which("chromium") or CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield found
        finally:
            found.close()


class Watch:
    """What went wrong on a page, to assert on after the test."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.allowed: list[re.Pattern[str]] = []

    def allow(self, pattern: str) -> None:
        """An error the test expects (a refused sign-in logs its 401 as a failed resource load)."""
        self.allowed.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.allowed)]


def check_page(page: Any) -> None:
    """The checks every screen must pass: CSP clean, nothing token-like a script can read, no sideways scroll."""
    if not page.url.startswith("http"):
        return  # the test failed before the page opened anything
    state = page.evaluate(
        """() => ({
            csp: window.__csp || [],
            local: JSON.stringify(Object.entries(localStorage)),
            session: JSON.stringify(Object.entries(sessionStorage)),
            cookie: document.cookie,
            unlabelled: [...document.querySelectorAll("input, select, textarea")]
                .filter((e) => e.labels.length === 0 && !e.getAttribute("aria-label"))
                .map((e) => e.outerHTML.slice(0, 80)),
            small: [...document.querySelectorAll("a, button, select, input:not([type=checkbox])")]
                .filter((e) => e.offsetParent !== null && e.getBoundingClientRect().height < 44)
                .map((e) => e.outerHTML.slice(0, 80)),
            scroll: document.documentElement.scrollWidth,
            width: document.documentElement.clientWidth,
        })"""
    )
    assert state["csp"] == [], f"CSP violations on {page.url}: {state['csp']}"
    for where in ("local", "session", "cookie"):
        assert not JWT.search(state[where]), f"a token is readable from {where}Storage/cookie: {state[where][:200]}"
    assert state["cookie"] == "", f"document.cookie is {state['cookie']!r}"
    assert state["unlabelled"] == [], f"inputs without a label on {page.url}: {state['unlabelled']}"
    assert state["small"] == [], f"touch targets under 44 px on {page.url}: {state['small']}"
    assert state["scroll"] <= state["width"], f"{page.url} scrolls sideways: {state['scroll']} > {state['width']} px"


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def context(browser: Any, server: Server) -> Iterator[Any]:
    ctx = browser.new_context(base_url=server.url, **PHONE)
    ctx.set_default_timeout(15_000)
    ctx.add_init_script(WATCH_CSP)
    try:
        yield ctx
    finally:
        ctx.close()


def watched_page(context: Any, watch: Watch) -> Any:
    page = context.new_page()
    page.on("console", lambda msg: msg.type == "error" and watch.errors.append(f"console: {msg.text}"))
    page.on("pageerror", lambda exc: watch.errors.append(f"page error: {exc}"))
    return page


@pytest.fixture
def page(context: Any, watch: Watch) -> Iterator[Any]:
    found = watched_page(context, watch)
    yield found
    if not found.is_closed():
        check_page(found)
    assert watch.unexpected() == [], watch.unexpected()
