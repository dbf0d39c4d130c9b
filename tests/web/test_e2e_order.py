"""The console's Order, Suppliers and invoice-priced Receive screens in a real browser (CONTRACT §12, §13, §17).

The kitchen of conftest (flour 3 kg of a 10-40 kg par) gets a supplier here, through the API: flour in 25 kg
sacks and caster sugar (1 of 5-15 kg) by the kilo, both preferred, and butter in 5 kg cases. The suggested
order is then 2 sacks of flour (37 kg to come) and 14 kg of sugar.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx2
import pytest
from playwright.sync_api import expect

from tests.web.conftest import Server, Watch
from tests.web.test_e2e import nav_links, sign_in

SUPPLIER = "Bakers Supply Co"


def _created(r: httpx2.Response) -> dict[str, Any]:
    assert r.status_code == 201, r.text
    return dict(r.json())


@pytest.fixture(scope="module")
def supplied(server: Server) -> dict[str, str]:
    """Ids of the supplier, its supplier items and the packs, by name."""
    with server.api("manager") as api:
        sugar = {"item_number": "SUG-C", "name": "Caster sugar", "unit": "kg", "category": "dry goods"}
        server.ids["SUG-C"] = _created(api.post("/v1/items", json=sugar | {"min_qty": "5", "max_qty": "15"}))["id"]
        count = {"item_id": server.ids["SUG-C"], "location_id": server.ids["DRY"], "qty_on_hand": "1"}
        assert api.post("/v1/counts", json=count).status_code == 201
        ids = {"supplier": _created(api.post("/v1/suppliers", json={"name": SUPPLIER, "lead_time_days": 2}))["id"]}
        for item, pack, qty in (("FL-00", "sack", "25"), ("BTR", "case", "5")):
            ids[pack] = _created(api.post(f"/v1/items/{server.ids[item]}/packs", json={"name": pack, "qty": qty}))["id"]
        sold = (("FL-00", "sack", "20.0000", True), ("SUG-C", None, "1.8000", True), ("BTR", "case", "36.0000", False))
        for item, pack, price, preferred in sold:
            body = {"item_id": server.ids[item], "pack_id": pack and ids[pack], "price": price, "preferred": preferred}
            ids[item] = _created(api.post(f"/v1/suppliers/{ids['supplier']}/items", json=body))["id"]
    return ids


def test_a_manager_orders_from_the_suggestion(page: Any, server: Server, supplied: dict[str, str]) -> None:
    sign_in(page, server, "manager")
    page.get_by_role("link", name="Order", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Order")).to_be_visible()
    suggestion = page.get_by_role("form", name=f"Suggested order from {SUPPLIER}")
    flour = suggestion.get_by_label("Flour, type 00 (sack of 25 kg)")
    sugar = suggestion.get_by_label("Caster sugar (kg)")
    expect(flour).to_have_value("2")  # ceil((40 - 3) / 25) sacks
    expect(sugar).to_have_value("14")
    expect(suggestion.locator("[data-item='FL-00']")).to_contain_text("On hand 3 kg")
    expect(suggestion.locator("[data-item='FL-00'] [data-cost]")).to_have_text("40.00")
    expect(suggestion).to_contain_text("Total 65.20")
    sugar.fill("15")  # one more kilo than the suggestion: the draft holds what the screen shows
    expect(suggestion).to_contain_text("Total 67.00")
    suggestion.get_by_role("button", name=re.compile("^Create draft")).click()

    lines = page.get_by_role("list", name="Order lines")
    expect(lines.get_by_label("Flour, type 00 (sack of 25 kg)")).to_have_value("2")
    expect(lines.get_by_label("Caster sugar (kg)")).to_have_value("15")
    expect(page.locator("[data-status]")).to_have_text("draft")
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("is submitted.")
    expect(page.locator("[data-status]")).to_have_text("submitted")

    with server.api("manager") as api:
        orders = api.get("/v1/purchase-orders", params={"supplier_id": supplied["supplier"]}).json()["data"]
        assert [o["status"] for o in orders] == ["submitted"]
        po = api.get(f"/v1/purchase-orders/{orders[0]['id']}").json()
        left = api.get("/v1/reports/suggested-order", params={"supplier_id": supplied["supplier"]}).json()["data"]
    assert (po["supplier"], po["supplier_id"]) == (SUPPLIER, supplied["supplier"])
    got = {(li["item_id"], li["pack_id"], Decimal(li["req_qty"]), Decimal(li["unit_price"])) for li in po["lines"]}
    assert got == {
        (server.ids["FL-00"], supplied["sack"], Decimal(2), Decimal("20")),
        (server.ids["SUG-C"], None, Decimal(15), Decimal("1.8")),
    }
    assert left == []  # both are on order now

    page.get_by_role("button", name="Back").click()
    expect(page.get_by_text("Everything is at par or already on order")).to_be_visible()
    listed = page.get_by_role("list", name="Purchase orders").get_by_role("button", name=re.compile(po["po_number"]))
    expect(listed).to_contain_text("Submitted")


def test_a_receipt_at_another_invoice_price_moves_stock_and_the_price(
    page: Any, server: Server, supplied: dict[str, str]
) -> None:
    body = {
        "supplier_id": supplied["supplier"],
        "po_number": "PO-INV-1",
        "lines": [{"item_id": server.ids["BTR"], "pack_id": supplied["case"], "req_qty": "2", "unit_price": "36.0000"}],
    }
    with server.api("manager") as api:
        po = _created(api.post("/v1/purchase-orders", json=body))
        assert api.post(f"/v1/purchase-orders/{po['id']}/submit").status_code == 200
        before = api.get("/v1/stock", params={"item_id": server.ids["BTR"], "location_id": server.ids["WALKIN"]})
    on_hand = Decimal(before.json()["data"][0]["on_hand"])

    sign_in(page, server, "manager")
    page.get_by_role("link", name="Receive", exact=True).click()
    page.get_by_role("button", name=re.compile("PO-INV-1")).click()
    expect(page.get_by_label("Butter (case of 5 kg)")).to_have_value("2")
    price = page.get_by_label("Invoice price per case")
    expect(price).to_have_value("36.0000")  # the ordered price, until the invoice says otherwise
    price.fill("38.50")
    page.get_by_label("Into location").select_option(label="Walk-in cooler (WALKIN)")
    page.get_by_role("button", name="Record receipt").click()
    expect(page.get_by_role("status")).to_have_text("PO-INV-1 is fully received into Walk-in cooler.")
    result = page.get_by_role("list", name="Invoice prices")
    expect(result).to_contain_text("38.50 per case")
    expect(result).to_contain_text("+2.50 on the 36.00 ordered")

    with server.api("manager") as api:
        after = api.get("/v1/stock", params={"item_id": server.ids["BTR"], "location_id": server.ids["WALKIN"]})
        moves = api.get("/v1/movements", params={"type": "receive", "item_id": server.ids["BTR"]}).json()["data"]
        history = api.get(f"/v1/supplier-items/{supplied['BTR']}/prices").json()["data"]
        received = api.get(f"/v1/purchase-orders/{po['id']}").json()
    assert Decimal(after.json()["data"][0]["on_hand"]) - on_hand == Decimal(10)  # 2 cases of 5 kg
    assert [Decimal(m["qty"]) for m in moves if m["reference"] == "PO-INV-1"] == [Decimal(10)]
    assert [Decimal(p["price"]) for p in history] == [Decimal("38.5"), Decimal(36)]  # newest first
    assert Decimal(received["lines"][0]["received_price"]) == Decimal("38.5")
    assert Decimal(received["lines"][0]["unit_price"]) == Decimal(36)  # what was ordered stays
    assert [Decimal(v["difference"]) for v in received["price_variances"]] == [Decimal("2.5")]


def test_the_suppliers_screen_shows_prices_and_history(
    page: Any, server: Server, supplied: dict[str, str], watch: Watch
) -> None:
    watch.allow(r"status of 409")
    sign_in(page, server, "manager")
    page.get_by_role("link", name="Suppliers", exact=True).click()
    page.get_by_role("button", name=f"Prices of {SUPPLIER}").click()
    flour = page.get_by_role("list", name="Supplier items").locator("[data-item='FL-00']")
    expect(flour).to_contain_text("sack of 25 kg")
    expect(flour).to_contain_text("preferred")
    expect(flour.locator("[data-price]")).to_have_text("20.00per sack")
    flour.get_by_role("button", name="Price history of Flour, type 00").click()
    expect(page.get_by_role("list", name="Price history of Flour, type 00").get_by_role("listitem")).to_have_count(1)
    with page.expect_download() as info:
        page.get_by_role("button", name=f"Download CSV of {SUPPLIER}'s prices").click()
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8"))))
    assert {(r["item_number"], r["pack_name"], Decimal(r["price"])) for r in rows} >= {
        ("FL-00", "sack", Decimal(20)),
        ("SUG-C", "", Decimal("1.8")),
    }
    page.get_by_role("button", name="Back").click()

    page.get_by_role("button", name="New supplier").click()
    page.get_by_label("Name").fill(SUPPLIER.upper())  # names are unique case-insensitively
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_have_text("That clashes with what is already there.")
    page.get_by_label("Name").fill("Green Grocers")
    page.get_by_label("Lead time (days)").fill("3")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("list", name="Suppliers")).to_contain_text("Green Grocers")
    expect(page.get_by_role("list", name="Suppliers")).to_contain_text("3 day lead time")


def test_a_bad_supplier_field_is_named(page: Any, server: Server, supplied: dict[str, str], watch: Watch) -> None:
    watch.allow(r"status of 422")
    sign_in(page, server, "admin")
    page.get_by_role("link", name="Suppliers", exact=True).click()
    page.get_by_role("button", name=f"Prices of {SUPPLIER}").click()
    page.get_by_role("button", name="Edit supplier").click()
    page.get_by_label("Lead time (days)").fill("400")
    page.get_by_role("button", name="Save").click()
    field = page.get_by_label("Lead time (days)")
    expect(field).to_have_attribute("aria-invalid", "true")
    described = field.get_attribute("aria-describedby")
    assert described
    expect(page.locator(f"[id='{described}']")).not_to_be_empty()


@pytest.mark.parametrize("role", ["counter", "viewer"])
def test_counters_and_viewers_neither_order_nor_see_suppliers(
    page: Any, server: Server, supplied: dict[str, str], role: str
) -> None:
    sign_in(page, server, role)
    assert not {"Order", "Suppliers"} & set(nav_links(page))
    for path in ("/order", "/suppliers"):
        page.goto(path)
        expect(page.get_by_role("alert")).to_have_text("Your role may not open this page.")
        for control in ("Create draft", "Submit", "New supplier", "Edit supplier"):
            assert page.get_by_role("button", name=control).count() == 0
        assert page.get_by_text("Bakers Supply Co").count() == 0


def test_a_manager_changes_a_price_and_the_history_grows(page: Any, server: Server, supplied: dict[str, str]) -> None:
    with server.api("manager") as api:
        dairy = _created(api.post("/v1/suppliers", json={"name": "Valley Dairy"}))
        body = {"item_id": server.ids["MLK-W"], "price": "0.9500"}
        milk = _created(api.post(f"/v1/suppliers/{dairy['id']}/items", json=body))
    sign_in(page, server, "manager")
    page.get_by_role("link", name="Suppliers", exact=True).click()
    page.get_by_role("button", name="Prices of Valley Dairy").click()
    page.get_by_role("button", name="Change price of Whole milk").click()
    form = page.get_by_role("form", name="Price of Whole milk")
    form.get_by_label("Price per l").fill("0.99")
    form.get_by_label("Preferred supplier for this item").check()
    form.get_by_role("button", name="Save price").click()
    row = page.get_by_role("list", name="Supplier items").locator("[data-item='MLK-W']")
    expect(row.locator("[data-price]")).to_have_text("0.99per l")
    expect(row).to_contain_text("preferred")
    row.get_by_role("button", name="Price history of Whole milk").click()
    expect(page.get_by_role("list", name="Price history of Whole milk").get_by_role("listitem")).to_have_count(2)
    with server.api("manager") as api:
        history = api.get(f"/v1/supplier-items/{milk['id']}/prices").json()["data"]
        after = api.get(f"/v1/supplier-items/{milk['id']}").json()
    assert [Decimal(p["price"]) for p in history] == [Decimal("0.99"), Decimal("0.95")]
    assert after["preferred"] is True
