"""`make screenshots`: phone-sized pictures of the console for the README, from the real app with demo data.

Starts `neuropilot serve` on a throwaway embedded PostgreSQL (which creates the demo admin and demo data), signs
in with Debian's Chromium at 360x740 and saves the stock, reports (both charts), waste, count and order screens as
PNGs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx2
from playwright.sync_api import expect, sync_playwright

from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, _free_port


def serve_demo(data_dir: Path) -> tuple[subprocess.Popen[str], str, str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "MIGRATOR_", "NEUROPILOT_"))}
    env |= {"NEUROPILOT_DATA_DIR": str(data_dir), "PORT": str(port), "PYTHONUNBUFFERED": "1"}
    log_path = data_dir / "serve.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        command = [sys.executable, "-m", "neuropilot", "serve"]
        proc = subprocess.Popen(command, env=env, stdout=log, stderr=log, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"neuropilot serve exited:\n{log_path.read_text()[-3000:]}")
        found = re.search(r"demo admin created \(shown once\): (\S+)\s+password: (\S+)", log_path.read_text())
        try:
            if found and httpx2.get(f"{url}/health", timeout=1).status_code == 200:
                return proc, url, f"{found[1]}\n{found[2]}"
        except httpx2.TransportError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise SystemExit("neuropilot serve did not become healthy")


def count_screen(page: Any, path: Path) -> None:
    """The demo kitchen's open count, its first location, mid-walk: the first line entered in packs if it has any."""
    page.get_by_role("link", name="Count", exact=True).click()
    page.get_by_role("list", name="Open counts").get_by_role("link").first.click()
    page.get_by_role("list", name="Locations to count").get_by_role("link").first.click()
    lines = page.get_by_role("list", name="Count lines")
    expect(lines).to_be_visible()
    page.wait_for_load_state("networkidle")
    packs = lines.get_by_role("button", name=re.compile(r"^Count .* in packs$"))
    if packs.count() > 0:
        packs.first.click()
    page.screenshot(path=str(path))


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="neuropilot-screenshots-") as tmp:
        proc, url, credentials = serve_demo(Path(tmp) / "data")
        email, password = credentials.split("\n")
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_context(base_url=url, **PHONE).new_page()
                page.goto("/")
                page.get_by_label("Email").fill(email)
                page.get_by_label("Password").fill(password)
                page.get_by_role("button", name="Sign in").click()
                expect(page.get_by_role("list", name="Stock levels")).to_be_visible()
                page.get_by_label("Location").select_option(index=1)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(out / "stock.png"))
                page.get_by_role("link", name="Reports", exact=True).click()
                expect(page.get_by_role("img", name="Stock value by category")).to_be_visible()
                expect(page.get_by_role("img", name="Waste by reason")).to_be_visible()
                page.wait_for_load_state("networkidle")
                # Both charts, one under the other: the page from its top to the end of the waste report.
                waste = page.get_by_role("region", name="Waste by reason").bounding_box()
                assert waste is not None
                bottom = page.evaluate("() => window.scrollY") + waste["y"] + waste["height"] + 12
                clip = {"x": 0, "y": 0, "width": PHONE["viewport"]["width"], "height": bottom}
                page.screenshot(path=str(out / "reports.png"), full_page=True, clip=clip)
                page.get_by_role("link", name="Waste", exact=True).click()
                expect(page.get_by_role("list", name="Waste entries")).to_be_visible()
                page.get_by_label("Location").select_option(index=1)
                page.get_by_label("Item").select_option(index=1)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(out / "waste.png"))
                count_screen(page, out / "count.png")
                page.get_by_role("link", name="Order", exact=True).click()
                expect(page.get_by_role("form", name=re.compile("^Suggested order from")).first).to_be_visible()
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(out / "order.png"))
                browser.close()
        finally:
            proc.send_signal(2)  # Ctrl-C: serve stops the embedded PostgreSQL it started
            proc.wait(timeout=60)
    print(f"wrote stock, reports, waste, count and order PNGs to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
