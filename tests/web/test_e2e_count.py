"""The Count screen in a real browser: a counter walks a location's shelf (one line in packs), loses the network
mid-count, reloads, and every line reaches the server exactly once; a manager reviews and posts, and the stock
moves. The `page` fixture checks every test's page afterwards (conftest.check_page)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.conftest import Server, Watch
from tests.web.test_e2e import sign_in

# A line PUT the browser could not deliver (offline, or a request the test made fail) logs a failed load.
NETWORK_DOWN = r"ERR_INTERNET_DISCONNECTED|ERR_FAILED|Failed to fetch"
DRY_SHELF = ["OIL-EV", "FL-00", "SUG", "RICE"]  # the dry store's sheet: the walking order


@pytest.fixture(scope="module")
def kitchen(server: Server) -> Server:
    """Two more dry goods, a 25 kg sack of flour, and the dry store's sheet in shelf order."""
    with server.api("manager") as api:
        for number, name, counted in (("SUG", "Sugar", "5"), ("RICE", "Rice", "8")):
            r = api.post("/v1/items", json={"item_number": number, "name": name, "unit": "kg", "unit_cost": "2.0000"})
            assert r.status_code == 201, r.text
            server.ids[number] = r.json()["id"]
            body = {"item_id": server.ids[number], "location_id": server.ids["DRY"], "qty_on_hand": counted}
            assert api.post("/v1/counts", json=body).status_code == 201
        r = api.post(f"/v1/items/{server.ids['FL-00']}/packs", json={"name": "sack", "qty": "25"})
        assert r.status_code == 201, r.text
        server.ids["sack"] = r.json()["id"]
        r = api.put(f"/v1/locations/{server.ids['DRY']}/sheet", json={"items": [server.ids[n] for n in DRY_SHELF]})
        assert r.status_code == 200, r.text
    return server


@pytest.fixture
def session_over(kitchen: Server) -> Iterator[Any]:
    """Opens a count session over locations (by code) as the manager; cancels it afterwards if still open."""
    opened: list[str] = []

    def open_session(*codes: str, blind: bool = False) -> str:
        with kitchen.api("manager") as api:
            body = {"location_ids": [kitchen.ids[c] for c in codes], "blind": blind}
            r = api.post("/v1/count-sessions", json=body)
            assert r.status_code == 201, r.text
        opened.append(r.json()["id"])
        return str(r.json()["id"])

    yield open_session
    with kitchen.api("manager") as api:
        for found in opened:
            if api.get(f"/v1/count-sessions/{found}").json()["status"] == "open":
                api.post(f"/v1/count-sessions/{found}/cancel")


def line_puts(server: Server, session_id: str) -> dict[str, int]:
    """How many line PUTs the server took, per item number: each PUT writes one audit row in its statement."""
    with server.owner() as conn:
        rows = conn.execute(
            "select i.item_number, count(*) from audit_log a join item i on i.id = (a.details->>'item_id')::uuid"
            " where a.action = 'count_session.line' and a.entity_id = %s group by i.item_number",
            (session_id,),
        )
        return {str(number): int(n) for number, n in rows}


def counted(server: Server, session_id: str) -> dict[str, tuple[Decimal | None, Any]]:
    with server.owner() as conn:
        rows = conn.execute(
            "select i.item_number, l.counted_qty, l.breakdown from count_session_line l join item i on i.id = l.item_id"
            " where l.session_id = %s",
            (session_id,),
        )
        return {str(number): (qty, breakdown) for number, qty, breakdown in rows}


def on_hand(server: Server, code: str) -> dict[str, Decimal]:
    with server.api("admin") as api:
        r = api.get("/v1/stock", params={"location_id": server.ids[code], "limit": 200})
        assert r.status_code == 200, r.text
        return {row["item_number"]: Decimal(row["on_hand"]) for row in r.json()["data"]}


def open_sheet(page: Any, where: str) -> None:
    page.get_by_role("link", name="Count", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Count")).to_be_visible()
    page.get_by_role("list", name="Open counts").get_by_role("link", name=re.compile(where)).click()
    page.get_by_role("list", name="Locations to count").get_by_role("link", name=re.compile(where)).click()
    expect(page.get_by_role("heading", level=1, name=f"Count {where}")).to_be_visible()


def line(page: Any, label: str) -> Any:
    return (
        page.get_by_role("list", name="Count lines")
        .get_by_role("listitem")
        .filter(has=page.get_by_label(label, exact=True))
    )


def test_a_counter_counts_through_an_outage_every_line_arrives_once_and_a_manager_posts(
    page: Any, context: Any, kitchen: Server, session_over: Any, watch: Watch
) -> None:
    watch.allow(NETWORK_DOWN)
    session_id = session_over("DRY")
    before = on_hand(kitchen, "DRY")
    sign_in(page, kitchen, "counter")
    open_sheet(page, "Dry store")
    labels = page.evaluate(
        """() => [...document.querySelectorAll('ol[aria-label="Count lines"] > li')]
            .map((li) => li.querySelector("label").textContent)"""
    )
    assert labels == ["Olive oil (l)", "Flour, type 00 (kg)", "Sugar (kg)", "Rice (kg)"]  # shelf order
    expect(page.get_by_text("0 of 4 counted")).to_be_visible()
    expect(line(page, "Olive oil (l)").get_by_text("On hand: 6 l")).to_be_visible()  # not a blind count

    oil = page.get_by_label("Olive oil (l)", exact=True)
    assert oil.get_attribute("inputmode") == "decimal"
    oil.fill("5.5")
    oil.press("Enter")
    expect(page.get_by_label("Flour, type 00 (kg)", exact=True)).to_be_focused()  # Enter walks on
    page.get_by_role("button", name="Count Flour, type 00 in packs").click()
    page.get_by_label("Flour, type 00: sack of 25 kg", exact=True).fill("2")
    page.get_by_label("Flour, type 00 (kg)", exact=True).fill("1.5")
    expect(line(page, "Flour, type 00 (kg)").get_by_text("Total: 51.5 kg")).to_be_visible()
    page.get_by_label("Flour, type 00 (kg)", exact=True).press("Enter")
    for label in ("Olive oil (l)", "Flour, type 00 (kg)"):
        expect(line(page, label).get_by_text("Saved", exact=True)).to_be_visible()
    expect(page.get_by_text("2 of 4 counted")).to_be_visible()

    context.set_offline(True)  # the walk-in's steel walls
    for label, value in (("Sugar (kg)", "0"), ("Rice (kg)", "7,5")):  # a phone's keypad may type a comma
        page.get_by_label(label, exact=True).fill(value)
        page.get_by_label(label, exact=True).press("Enter")
    expect(page.get_by_text("Offline: 2 lines are waiting, and will be sent when the network is back.")).to_be_visible()
    expect(page.get_by_text("4 of 4 counted")).to_be_visible()
    assert line_puts(kitchen, session_id) == {"OIL-EV": 1, "FL-00": 1}

    # The network comes back flaky: the page loads, but every line PUT fails on the way (the server never sees
    # it). The reload finds the two lines in the queue, and shows what was entered, from the queue and the server.
    failing = re.compile(r"/v1/count-sessions/[^/]+/lines$")
    context.route(failing, lambda route: route.abort() if route.request.method == "PUT" else route.continue_())
    context.set_offline(False)
    page.reload()
    expect(page.get_by_role("heading", level=1, name="Count Dry store")).to_be_visible()
    expect(page.get_by_text("2 lines are waiting to be sent.")).to_be_visible()
    expect(page.get_by_label("Sugar (kg)", exact=True)).to_have_value("0")
    expect(page.get_by_label("Rice (kg)", exact=True)).to_have_value("7.5")
    expect(page.get_by_label("Olive oil (l)", exact=True)).to_have_value("5.5")
    expect(page.get_by_label("Flour, type 00: sack of 25 kg", exact=True)).to_have_value("2")
    expect(page.get_by_label("Flour, type 00 (kg)", exact=True)).to_have_value("1.5")
    assert line_puts(kitchen, session_id) == {"OIL-EV": 1, "FL-00": 1}

    context.unroute(failing)
    context.set_offline(True)
    context.set_offline(False)  # the browser's online event sends what waits
    for label in ("Sugar (kg)", "Rice (kg)"):
        expect(line(page, label).get_by_text("Saved", exact=True)).to_be_visible()
    expect(page.get_by_text(re.compile("waiting to be sent"))).to_have_count(0)
    assert line_puts(kitchen, session_id) == {"OIL-EV": 1, "FL-00": 1, "SUG": 1, "RICE": 1}
    lines = counted(kitchen, session_id)
    assert {number: qty for number, (qty, _) in lines.items()} == {
        "OIL-EV": Decimal("5.5"),
        "FL-00": Decimal("51.5"),
        "SUG": Decimal("0"),
        "RICE": Decimal("7.5"),
    }
    parts = {(p["pack_id"], Decimal(p["qty"])) for p in lines["FL-00"][1]}
    assert parts == {(None, Decimal("1.5")), (kitchen.ids["sack"], Decimal("2"))}

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, kitchen, "manager")
    page.get_by_role("link", name="Count", exact=True).click()
    page.get_by_role("list", name="Open counts").get_by_role("link", name=re.compile("Dry store")).click()
    variance = page.get_by_role("list", name="Variance")
    expect(variance.get_by_role("listitem")).to_have_count(4)
    expect(variance.get_by_role("listitem").filter(has_text="Flour, type 00")).to_contain_text(
        "Counted 51.5, expected 3 kg: +48.5"
    )
    assert on_hand(kitchen, "DRY") == before
    page.get_by_role("button", name="Post the count").click()
    expect(page.get_by_role("status")).to_have_text("The count is posted: 4 counts recorded.")
    assert on_hand(kitchen, "DRY") == before | {
        "OIL-EV": Decimal("5.5"),
        "FL-00": Decimal("51.5"),
        "SUG": Decimal("0"),
        "RICE": Decimal("7.5"),
    }
    expect(page.get_by_text("No count is open.", exact=False)).to_be_visible()


def test_a_blind_count_by_keyboard_alone_and_a_manager_cancels_it(
    page: Any, kitchen: Server, session_over: Any
) -> None:
    session_id = session_over("WALKIN", blind=True)
    sign_in(page, kitchen, "counter")
    open_sheet(page, "Walk-in cooler")
    expect(page.get_by_text("On hand", exact=False)).to_have_count(0)  # blind: the counter sees no expectation
    for label in ("Whole milk (l)", "Butter (kg)"):
        expect(page.get_by_label(label, exact=True)).to_have_attribute("inputmode", "decimal")

    first = page.get_by_label("Butter (kg)", exact=True)  # not on a sheet: by item number, BTR before MLK-W
    for _ in range(30):  # Tab from the top of the page to the first line, as a keyboard user would
        if first.evaluate("(e) => e === document.activeElement"):
            break
        page.keyboard.press("Tab")
    expect(first).to_be_focused()
    page.keyboard.type("3.25")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Whole milk (l)", exact=True)).to_be_focused()
    page.keyboard.type("11")
    page.keyboard.press("Enter")
    for label in ("Whole milk (l)", "Butter (kg)"):
        expect(line(page, label).get_by_text("Saved", exact=True)).to_be_visible()
    assert {n: q for n, (q, _) in counted(kitchen, session_id).items()} == {
        "MLK-W": Decimal("11"),
        "BTR": Decimal("3.25"),
    }
    assert line_puts(kitchen, session_id) == {"MLK-W": 1, "BTR": 1}

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, kitchen, "manager")
    page.get_by_role("link", name="Count", exact=True).click()
    page.get_by_role("list", name="Open counts").get_by_role("link", name=re.compile("Walk-in cooler")).click()
    page.get_by_role("button", name="Cancel the session").click()
    page.get_by_role("button", name="Yes, cancel the session").click()
    expect(page.get_by_role("status")).to_have_text("The count session is canceled; nothing was recorded.")
    with kitchen.api("manager") as api:
        assert api.get(f"/v1/count-sessions/{session_id}").json()["status"] == "canceled"


def test_a_refused_line_says_why_on_that_line(page: Any, kitchen: Server, session_over: Any, watch: Watch) -> None:
    """A line the server refuses (here: the session was canceled meanwhile) shows the reason and stays entered."""
    watch.allow(r"409")
    session_id = session_over("WALKIN")
    sign_in(page, kitchen, "counter")
    open_sheet(page, "Walk-in cooler")
    with kitchen.api("manager") as api:
        assert api.post(f"/v1/count-sessions/{session_id}/cancel").status_code == 200
    milk = page.get_by_label("Whole milk (l)", exact=True)
    milk.fill("9")
    milk.press("Enter")
    expect(line(page, "Whole milk (l)").locator("p.text-red-800")).to_be_visible()
    expect(milk).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text(re.compile("waiting to be sent"))).to_have_count(0)
    assert line_puts(kitchen, session_id) == {}
