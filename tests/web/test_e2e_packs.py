"""The Items screen's packs (CONTRACT §11, §17), in a real browser against a real `neuropilot serve`
(tests/web/conftest.py): a manager adds and edits a pack, checked through the API; a counter only reads."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.web.conftest import Server, Watch, check_page
from tests.web.test_e2e import sign_in


def packs_of(server: Server, number: str) -> list[dict[str, Any]]:
    with server.api("manager") as api:
        r = api.get(f"/v1/items/{server.ids[number]}")
    assert r.status_code == 200, r.text
    return list(r.json()["packs"])


def open_packs(page: Any, server: Server, role: str, item: str) -> None:
    sign_in(page, server, role)
    page.get_by_role("link", name="Items", exact=True).click()
    page.get_by_role("button", name=f"Packs of {item}", exact=True).click()
    expect(page.get_by_role("heading", level=1, name=f"Packs of {item}")).to_be_visible()


def test_a_manager_adds_a_pack_and_changes_its_size(page: Any, server: Server, watch: Watch) -> None:
    watch.allow(r"status of 422")  # the refused size below
    assert [p["name"] for p in packs_of(server, "OIL-EV")] == []
    open_packs(page, server, "manager", "Olive oil")
    expect(page.get_by_text("Olive oil has no packs yet")).to_be_visible()

    page.get_by_role("button", name="Add a pack").click()
    form = page.get_by_role("form", name="New pack")
    form.get_by_label("Pack name").fill("case of 6")
    size = form.get_by_label("Size (l)")  # in the item's stock unit
    size.fill("0")
    form.get_by_role("button", name="Add pack").click()  # the API refuses it, on $.qty, in words
    expect(form.get_by_role("alert")).to_have_text("Some fields need attention.")
    expect(size).to_have_attribute("aria-invalid", "true")
    described = size.get_attribute("aria-describedby")
    assert described
    expect(page.locator(f"[id='{described}']")).not_to_be_empty()
    check_page(page)  # the open form too: labelled, 44 px targets, no sideways scroll at 360 px

    size.fill("6")
    form.get_by_role("button", name="Add pack").click()
    row = page.get_by_role("list", name="Packs").get_by_role("listitem").filter(has_text="case of 6")
    expect(row).to_contain_text("6 l each · active")
    (pack,) = packs_of(server, "OIL-EV")
    assert (pack["name"], pack["qty"], pack["active"]) == ("case of 6", "6.000", True)

    row.get_by_role("button", name="Edit case of 6", exact=True).click()
    edit = page.get_by_role("form", name="Edit pack case of 6")
    expect(edit.get_by_label("Size (l)")).to_have_value("6")
    edit.get_by_label("Size (l)").fill("4.5")
    edit.get_by_role("button", name="Save pack").click()
    expect(edit).to_have_count(0)
    expect(row).to_contain_text("4.5 l each · active")
    (changed,) = packs_of(server, "OIL-EV")
    assert changed["id"] == pack["id"]
    assert (changed["name"], changed["qty"], changed["active"]) == ("case of 6", "4.500", True)


def test_a_counter_sees_the_packs_but_cannot_change_them(page: Any, server: Server) -> None:
    with server.api("manager") as api:
        r = api.post(f"/v1/items/{server.ids['FL-00']}/packs", json={"name": "sack", "qty": "25"})
        assert r.status_code == 201, r.text
    open_packs(page, server, "counter", "Flour, type 00")
    row = page.get_by_role("list", name="Packs").get_by_role("listitem").filter(has_text="sack of 25 kg")
    expect(row).to_contain_text("25 kg each · active")
    expect(page.get_by_role("button", name="Add a pack")).to_have_count(0)
    expect(page.get_by_role("button", name="Edit sack")).to_have_count(0)
    expect(page.get_by_role("textbox")).to_have_count(0)
    page.get_by_role("button", name="Back").click()
    expect(page.get_by_role("heading", level=1, name="Items")).to_be_visible()
    expect(page.get_by_role("button", name="Edit Flour, type 00")).to_have_count(0)
