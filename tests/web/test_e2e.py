"""The console in a real browser (Debian's Chromium via Playwright) against a real `neuropilot serve`, at 360x740
with touch, as each role. The `page` fixture checks every test's page afterwards (conftest.check_page)."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD, ROLES
from tests.web.conftest import Server, Watch, check_page, submitted_order, watched_page

NAV = {
    "manager": ["Count", "Stock", "Receive", "Order", "Waste", "Reports", "Items", "Suppliers", "Locations"],
    "counter": ["Count", "Stock", "Waste", "Items", "Locations"],
    "viewer": ["Stock", "Reports", "Items", "Locations"],
}
NAV["admin"] = [*NAV["manager"], "Users", "Audit"]
ALL_LINKS = ["Count", "Stock", "Receive", "Order", "Waste", "Reports", "Items", "Suppliers", "Locations", "Users"]


def sign_in(page: Any, server: Server, role: str) -> None:
    page.goto("/")
    page.get_by_label("Email").fill(server.emails[role])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("heading", level=1, name="Stock")).to_be_visible()  # / lands on the stock screen


def nav_links(page: Any) -> list[str]:
    nav = page.get_by_role("navigation", name="Main")
    return [str(text).strip() for text in nav.get_by_role("link").all_inner_texts()]


def refresh_cookie(context: Any) -> dict[str, Any] | None:
    return next((c for c in context.cookies() if c["name"] == "__Secure-np_refresh"), None)


def families(server: Server, email: str) -> list[tuple[Any, str | None]]:
    with server.owner() as conn:
        rows = conn.execute(
            "select t.family_id, t.revoked_reason from refresh_token t join app_user u on u.id = t.user_id"
            " where u.email = %s order by t.issued_at",
            (email,),
        )
        return [(r[0], r[1]) for r in rows]


@pytest.mark.parametrize("role", ROLES)
def test_sign_in_shows_the_roles_navigation_and_sign_out_ends_the_session(
    page: Any, context: Any, server: Server, role: str
) -> None:
    sign_in(page, server, role)
    assert nav_links(page) == NAV[role]
    for absent in set(ALL_LINKS) - set(NAV[role]):
        assert page.get_by_role("link", name=absent, exact=True).count() == 0
    cookie = refresh_cookie(context)
    assert cookie is not None, "Chromium did not store the __Secure- cookie on http://127.0.0.1"
    assert (cookie["httpOnly"], cookie["secure"], cookie["sameSite"], cookie["path"]) == (
        True,
        True,
        "Strict",
        "/v1/auth",
    )
    for label in NAV[role]:  # every screen the role sees opens without an error
        page.get_by_role("link", name=label, exact=True).click()
        expect(page.get_by_role("heading", level=1, name=label)).to_be_visible()
        page.wait_for_load_state("networkidle")
        check_page(page)
        assert page.get_by_role("alert").count() == 0, page.get_by_role("alert").all_inner_texts()

    page.reload()  # the cookie is sent on http://127.0.0.1: a reload keeps the user signed in
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert refresh_cookie(context) is None
    found = families(server, server.emails[role])
    assert {reason for family, reason in found if family == found[-1][0]} == {"logout"}
    page.reload()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_a_wrong_password_is_said_in_words(page: Any, server: Server, watch: Watch) -> None:
    watch.allow(r"status of 401")  # Chromium logs the refused sign-in as a failed resource load
    page.goto("/")
    page.get_by_label("Email").fill(server.emails["viewer"])
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")


def test_a_page_the_role_may_not_open_says_so(page: Any, server: Server) -> None:
    sign_in(page, server, "counter")
    page.goto("/users")
    expect(page.get_by_role("alert")).to_have_text("Your role may not open this page.")


def test_stock_by_location_and_category_marks_below_par(page: Any, server: Server) -> None:
    sign_in(page, server, "counter")
    stock = page.get_by_role("list", name="Stock levels")
    expect(stock.get_by_role("listitem")).to_have_count(4)
    flour = stock.get_by_role("listitem").filter(has_text="Flour, type 00")
    expect(flour).to_contain_text("Below par")
    expect(flour).to_have_attribute("data-below-par", "true")
    expect(stock.get_by_role("listitem").filter(has_text="Whole milk")).not_to_contain_text("Below par")

    page.get_by_label("Category").select_option("dairy")
    expect(stock.get_by_role("listitem")).to_have_count(2)
    page.get_by_label("Category").select_option("")
    page.get_by_label("Location").select_option(label="Dry store (DRY)")
    expect(stock.get_by_role("listitem")).to_have_count(2)
    page.get_by_label("Location").select_option("")
    page.get_by_label("Below par only").check()
    expect(stock.get_by_role("listitem")).to_have_count(1)
    expect(stock.get_by_role("listitem")).to_contain_text("Flour, type 00")


def test_receiving_a_submitted_order_defaults_to_what_remains(page: Any, server: Server) -> None:
    order = submitted_order(server, "PO-E2E-1", [("OIL-EV", "6", "8.5000"), ("BTR", "5", "7.2000")])
    orders = page.get_by_role("list", name="Submitted purchase orders")
    oil, butter = page.get_by_label("Olive oil (l)"), page.get_by_label("Butter (kg)")
    sign_in(page, server, "manager")
    page.get_by_role("link", name="Receive", exact=True).click()
    orders.get_by_role("button", name=re.compile("PO-E2E-1")).click()
    expect(oil).to_have_value("6")
    expect(butter).to_have_value("5")
    page.get_by_label("Into location").select_option(label="Dry store (DRY)")
    oil.fill("4")
    butter.fill("")  # not this time
    page.get_by_role("button", name="Record receipt").click()
    expect(page.get_by_role("status")).to_have_text("Received part of PO-E2E-1 into Dry store; the rest stays open.")
    with server.api("manager") as api:
        after = api.get(f"/v1/purchase-orders/{order['id']}").json()
        moves = api.get("/v1/movements", params={"type": "receive", "location_id": server.ids["DRY"]}).json()["data"]
    assert after["status"] == "submitted"
    assert [(line["received_qty"], line["remaining_qty"]) for line in after["lines"]] == [
        ("4.000", "2.000"),
        ("0.000", "5.000"),
    ]
    assert [m["qty"] for m in moves if m["reference"] == "PO-E2E-1"] == ["4.000"]

    # Again: each line defaults to what is still to come. The oil's rest into the dry store, the butter to the cooler.
    orders.get_by_role("button", name=re.compile("PO-E2E-1")).click()
    expect(oil).to_have_value("2")
    expect(butter).to_have_value("5")
    butter.fill("")
    page.get_by_label("Into location").select_option(label="Dry store (DRY)")
    page.get_by_role("button", name="Record receipt").click()
    expect(page.get_by_role("status")).to_contain_text("Received part of PO-E2E-1")
    orders.get_by_role("button", name=re.compile("PO-E2E-1")).click()
    expect(butter).to_have_value("5")
    assert oil.count() == 0  # fully received lines are not offered
    page.get_by_label("Into location").select_option(label="Walk-in cooler (WALKIN)")
    page.get_by_role("button", name="Record receipt").click()
    expect(page.get_by_role("status")).to_have_text("PO-E2E-1 is fully received into Walk-in cooler.")
    with server.api("manager") as api:
        assert api.get(f"/v1/purchase-orders/{order['id']}").json()["status"] == "received"


def test_an_over_receipt_is_shown_on_the_line(page: Any, server: Server, watch: Watch) -> None:
    watch.allow(r"status of 422")
    submitted_order(server, "PO-E2E-2", [("BTR", "2", "7.0000")])
    sign_in(page, server, "manager")
    page.get_by_role("link", name="Receive", exact=True).click()
    page.get_by_role("button", name=re.compile("PO-E2E-2")).click()
    page.get_by_label("Butter (kg)").fill("5")
    page.get_by_role("button", name="Record receipt").click()
    expect(page.get_by_role("alert")).to_be_visible()
    field = page.get_by_label("Butter (kg)")
    expect(field).to_have_attribute("aria-invalid", "true")
    described = field.get_attribute("aria-describedby")
    assert described
    expect(page.locator(f"[id='{described}']")).not_to_be_empty()


def test_the_valuation_chart_renders(page: Any, server: Server) -> None:
    sign_in(page, server, "manager")
    page.get_by_role("link", name="Reports", exact=True).click()
    chart = page.get_by_role("img", name="Stock value by category")
    expect(chart).to_be_visible()
    page.wait_for_function(
        """() => {
            const c = document.querySelector("canvas");
            if (!c || c.width === 0) return false;
            const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
            for (let i = 3; i < px.length; i += 4) if (px[i] !== 0) return true;
            return false;
        }"""
    )
    box = chart.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 100
    section = page.get_by_role("region", name="Stock value by category")
    expect(section.get_by_role("row")).to_have_count(3)  # header, dairy, dry goods
    expect(page.get_by_role("region", name="Low stock")).to_contain_text("Flour, type 00")


def test_a_viewer_sees_only_the_low_stock_report(page: Any, server: Server) -> None:
    sign_in(page, server, "viewer")
    page.get_by_role("link", name="Reports", exact=True).click()
    expect(page.get_by_role("region", name="Low stock")).to_contain_text("Flour, type 00")
    assert page.get_by_role("region", name="Stock value by category").count() == 0
    assert page.locator("canvas").count() == 0


def test_a_manager_creates_an_item_and_a_bad_field_is_named(page: Any, server: Server, watch: Watch) -> None:
    watch.allow(r"status of 422")
    sign_in(page, server, "manager")
    page.get_by_role("link", name="Items", exact=True).click()
    page.get_by_role("button", name="New item").click()
    page.get_by_label("Item number").fill("SLT-1")
    page.get_by_label("Name", exact=True).fill("Sea salt")
    page.get_by_label("Unit", exact=True).fill("kg")
    page.get_by_label("Category", exact=True).fill("dry goods")
    page.get_by_label("Minimum (par)").fill("two")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_label("Minimum (par)")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Minimum (par)").fill("2")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("list", name="Items")).to_contain_text("Sea salt")
    page.get_by_role("button", name="Edit Sea salt").click()
    page.get_by_label("Maximum").fill("9")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("list", name="Items").get_by_role("listitem").filter(has_text="Sea salt")).to_contain_text(
        "par 2\N{EN DASH}9"
    )


def test_a_counter_reads_items_and_locations_without_editing(page: Any, server: Server) -> None:
    sign_in(page, server, "counter")
    page.get_by_role("link", name="Locations", exact=True).click()
    expect(page.get_by_role("list", name="Locations")).to_contain_text("Walk-in cooler")
    assert page.get_by_role("button", name=re.compile("^(New location|Edit)")).count() == 0


def test_an_admin_reads_users_and_the_audit_trail(page: Any, server: Server) -> None:
    sign_in(page, server, "admin")
    page.get_by_role("link", name="Users", exact=True).click()
    expect(page.get_by_role("list", name="Users")).to_contain_text("counter@kitchen.test")
    page.get_by_role("link", name="Audit", exact=True).click()
    expect(page.get_by_role("list", name="Audit entries")).to_contain_text("auth.login")


def test_two_tabs_refreshing_at_once_both_stay_signed_in(context: Any, server: Server, watch: Watch) -> None:
    first = watched_page(context, watch)
    sign_in(first, server, "admin")
    second = watched_page(context, watch)
    second.goto("/stock")
    expect(second.get_by_role("button", name="Sign out")).to_be_visible()  # the second tab resumed the session

    # Both tabs reload at the same instant: each page starts by renewing its access token from the one cookie.
    at = int(time.time() * 1000) + 600
    for tab in (first, second):
        tab.evaluate("(at) => setTimeout(() => location.reload(), at - Date.now())", at)
    time.sleep(1)
    for tab in (first, second):
        tab.wait_for_load_state("load")
        expect(tab.get_by_role("button", name="Sign out")).to_be_visible()
        expect(tab.get_by_role("heading", level=1, name="Stock")).to_be_visible()
        check_page(tab)
    found = families(server, server.emails["admin"])
    family = [reason for family, reason in found if family == found[-1][0]]
    assert set(family) == {None}, f"a refresh was refused as a replay and the family revoked: {family}"
    assert len(family) >= 3  # the login, the second tab's renewal and at least one of the two at once

    # The family is alive: one more renewal works, and the tabs still use the API.
    second.reload()
    expect(second.get_by_role("list", name="Stock levels")).to_be_visible()
    first.get_by_role("link", name="Items", exact=True).click()
    expect(first.get_by_role("list", name="Items")).to_contain_text("Butter")
    assert watch.unexpected() == [], watch.unexpected()
