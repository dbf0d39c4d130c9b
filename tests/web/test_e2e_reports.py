"""The console's waste, report charts, CSV downloads and count sheets, in a real browser against a real
`neuropilot serve` (tests/web/conftest.py), checked through the API afterwards."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.web.conftest import Server, Watch
from tests.web.test_e2e import sign_in

REASONS = {
    "spoiled": "Spoiled",
    "expired": "Expired",
    "damaged": "Damaged",
    "overproduction": "Overproduction",
    "returned": "Returned",
    "other": "Other",
}
ITEM_HEADER = "id,item_number,name,unit,category,min_qty,max_qty,unit_cost,storage_zone,active,created_at,updated_at"
CANVASES_DRAWN = """(count) => {
    const all = [...document.querySelectorAll("canvas")];
    return all.length === count && all.every((c) => {
        if (c.width === 0 || c.height === 0) return false;
        const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < px.length; i += 4) if (px[i] !== 0) return true;
        return false;
    });
}"""


def money(value: str) -> str:
    """The console's money(): two decimals, thousands separated (the values here need no rounding)."""
    return f"{Decimal(value):,.2f}"


def day_ago() -> str:
    return (datetime.now(UTC) - timedelta(days=1)).isoformat()


def on_hand(server: Server, item: str, location: str) -> Decimal:
    with server.api("manager") as api:
        query = {"item_id": server.ids[item], "location_id": server.ids[location]}
        (row,) = api.get("/v1/stock", params=query).json()["data"]
    return Decimal(row["on_hand"])


def waste_by_reason(server: Server) -> list[dict[str, Any]]:
    with server.api("manager") as api:
        r = api.get("/v1/reports/waste", params={"since": day_ago(), "group_by": "reason"})
    assert r.status_code == 200, r.text
    return list(r.json()["data"])


def value_of(rows: list[dict[str, Any]], reason: str) -> Decimal:
    return sum((Decimal(row["value"]) for row in rows if row["key"] == reason), Decimal(0))


def log_waste(server: Server, item: str, location: str, qty: str, reason: str) -> None:
    body = {"item_id": server.ids[item], "location_id": server.ids[location], "qty": qty, "reason": reason}
    with server.api("counter") as api:
        r = api.post("/v1/waste", json=body)
    assert r.status_code == 201, r.text


def table_rows(table: Any) -> list[list[str]]:
    rows = table.locator("tbody tr").all()
    return [[cell.strip() for cell in row.locator("td, th").all_inner_texts()] for row in rows]


def test_a_counter_logs_waste_and_the_report_and_stock_show_it(page: Any, server: Server, watch: Watch) -> None:
    watch.allow(r"status of 422")  # the refused quantity below
    before, wasted_before = on_hand(server, "OIL-EV", "DRY"), value_of(waste_by_reason(server), "expired")
    sign_in(page, server, "counter")
    page.get_by_role("link", name="Waste", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Waste")).to_be_visible()

    page.get_by_role("button", name="Log waste").click()  # nothing picked: said in words, on each field
    expect(page.get_by_role("alert")).to_have_text("Some fields need attention.")
    expect(page.get_by_text("Pick the item.")).to_be_visible()
    expect(page.get_by_label("Quantity")).to_have_attribute("aria-invalid", "true")

    page.get_by_label("Location").select_option(label="Dry store (DRY)")
    page.get_by_label("Item").select_option(label="Olive oil (OIL-EV)")
    quantity = page.get_by_label("Quantity (l)")  # the stock unit of the item picked
    quantity.fill("0")
    page.get_by_role("button", name="Log waste").click()  # the API refuses it, on $.qty
    expect(quantity).to_have_attribute("aria-invalid", "true")
    described = quantity.get_attribute("aria-describedby")
    assert described
    expect(page.locator(f"[id='{described}']")).not_to_be_empty()

    quantity.fill("1.5")
    page.get_by_label("Reason").select_option(label="Expired")
    page.get_by_label("Note (optional)").fill("cap left off")
    page.get_by_role("button", name="Log waste").click()
    expect(page.get_by_role("status")).to_have_text("Logged 1.5 l of Olive oil as expired, from Dry store.")
    entry = page.get_by_role("list", name="Waste entries").get_by_role("listitem").first
    expect(entry).to_contain_text("Olive oil")
    expect(entry).to_contain_text("Expired · Dry store")
    expect(entry).to_contain_text("cap left off")
    expect(entry).to_contain_text("1.5 l")

    assert on_hand(server, "OIL-EV", "DRY") == before - Decimal("1.5")
    assert value_of(waste_by_reason(server), "expired") == wasted_before + Decimal("1.5") * Decimal("8.9")
    with server.api("manager") as api:
        (movement,) = api.get("/v1/movements", params={"type": "waste", "limit": 1}).json()["data"]
    assert (movement["qty"], movement["reason"], movement["note"]) == ("-1.500", "expired", "cap left off")


def test_the_report_charts_show_valuation_by_category_and_waste_by_reason(page: Any, server: Server) -> None:
    log_waste(server, "MLK-W", "WALKIN", "2", "damaged")  # 2 x 0.99
    log_waste(server, "BTR", "WALKIN", "1", "spoiled")  # 1 x 7.50
    with server.api("manager") as api:
        valuation = api.get("/v1/reports/valuation", params={"group_by": "category"}).json()
    waste = waste_by_reason(server)
    assert {row["key"] for row in waste} >= {"damaged", "spoiled"}

    sign_in(page, server, "manager")
    page.get_by_role("link", name="Reports", exact=True).click()
    groups = [(g["category"] or "No category", money(g["value"])) for g in valuation["groups"]]
    reasons = [(REASONS[row["key"]], money(row["value"])) for row in waste]
    value_chart = page.get_by_role("img", name="Stock value by category")
    waste_chart = page.get_by_role("img", name="Waste by reason")
    expect(value_chart).to_have_accessible_name(
        "Stock value by category: " + "; ".join(f"{name} {value}" for name, value in groups)
    )
    expect(waste_chart).to_have_accessible_name(
        "Waste by reason: " + "; ".join(f"{name} {value}" for name, value in reasons)
    )
    assert table_rows(page.get_by_role("table", name="Stock value by category, as a table")) == [
        list(g) for g in groups
    ]
    assert table_rows(page.get_by_role("table", name="Waste by reason, as a table")) == [list(r) for r in reasons]
    page.wait_for_function(CANVASES_DRAWN, arg=2)  # both canvases have pixels on them
    for chart in (value_chart, waste_chart):
        box = chart.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 100

    usage = page.get_by_role("region", name="Usage per item")
    milk = usage.get_by_role("row").filter(has_text="Whole milk")
    expect(milk).to_be_visible()
    with server.api("manager") as api:
        rows = api.get("/v1/reports/usage", params={"since": day_ago()}).json()["data"]
    (expected,) = [r for r in rows if r["item_number"] == "MLK-W"]
    assert Decimal(expected["wasted"]) >= 2
    cells = [c.strip() for c in milk.locator("td").all_inner_texts()]
    assert cells[3] == f"{Decimal(expected['wasted']).normalize():f}"  # Opening, Received, Used, Wasted, …


def test_a_list_downloads_as_csv_with_the_bearer_token(page: Any, server: Server, tmp_path: Path) -> None:
    sign_in(page, server, "manager")
    page.get_by_role("link", name="Items", exact=True).click()
    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV of items").click()
    download = info.value
    assert download.suggested_filename == "items.csv"
    saved = tmp_path / "items.csv"
    download.save_as(saved)
    text = saved.read_bytes().decode("utf-8")
    assert text.split("\r\n")[0] == ITEM_HEADER
    rows = {row["item_number"]: row for row in csv.DictReader(io.StringIO(text))}
    flour = rows["FL-00"]
    assert (flour["name"], flour["unit"], flour["category"], flour["unit_cost"]) == (
        "Flour, type 00",
        "kg",
        "dry goods",
        "1.2500",
    )
    assert flour["id"] == server.ids["FL-00"]

    # The screen's filters go with it: the stock of one location only.
    page.get_by_role("link", name="Stock", exact=True).click()
    page.get_by_label("Location").select_option(label="Walk-in cooler (WALKIN)")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV of stock").click()
    stock = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8"))))
    assert info.value.suggested_filename == "stock.csv"
    assert {row["location_code"] for row in stock} == {"WALKIN"}
    assert {row["item_number"] for row in stock} == {"MLK-W", "BTR"}


def test_a_manager_reorders_a_locations_sheet_and_it_is_saved(page: Any, server: Server) -> None:
    sign_in(page, server, "manager")
    page.get_by_role("link", name="Locations", exact=True).click()
    page.get_by_role("button", name="Sheet of Dry store").click()
    expect(page.get_by_role("heading", level=1, name="Sheet of Dry store")).to_be_visible()
    expect(page.get_by_text("No items on this sheet yet.")).to_be_visible()
    for label in ("Flour, type 00 (FL-00)", "Olive oil (OIL-EV)", "Butter (BTR)"):
        page.get_by_label("Add item").select_option(label=label)
        page.get_by_role("button", name="Add", exact=True).click()
    sheet = page.get_by_role("list", name="Sheet items")
    expect(sheet.get_by_role("listitem")).to_have_count(3)
    page.get_by_role("button", name="Remove Butter").tap()  # touch
    page.get_by_role("button", name="Save sheet").click()
    expect(page.get_by_role("status")).to_have_text("The sheet of Dry store is saved.")

    up = page.get_by_role("button", name="Move Olive oil up")
    up.focus()
    page.keyboard.press("Enter")  # the keyboard: oil now first, and the focus stays with the oil
    focused = page.evaluate("() => document.activeElement.getAttribute('aria-label')")
    assert focused == "Move Olive oil down"
    expect(sheet.get_by_role("listitem")).to_have_text([re.compile("^1Olive oil"), re.compile("^2Flour")])
    page.get_by_role("button", name="Save sheet").click()
    expect(page.get_by_role("status")).to_have_text("The sheet of Dry store is saved.")

    with server.api("counter") as api:
        saved = api.get(f"/v1/locations/{server.ids['DRY']}/sheet").json()["data"]
    assert [(row["item_number"], row["position"]) for row in saved] == [("OIL-EV", 1), ("FL-00", 2)]


def test_a_counter_reads_a_sheet_without_editing_it(page: Any, server: Server) -> None:
    with server.api("manager") as api:
        body = {"items": [server.ids["BTR"], server.ids["MLK-W"]]}
        assert api.put(f"/v1/locations/{server.ids['WALKIN']}/sheet", json=body).status_code == 200
    sign_in(page, server, "counter")
    page.get_by_role("link", name="Locations", exact=True).click()
    page.get_by_role("button", name="Sheet of Walk-in cooler").click()
    expect(page.get_by_role("list", name="Sheet items").get_by_role("listitem")).to_have_text(
        [re.compile("Butter"), re.compile("Whole milk")]
    )
    assert page.get_by_role("button", name=re.compile("^(Move|Remove)|Save sheet")).count() == 0
    assert page.get_by_label("Add item").count() == 0
