"""CSV exports over HTTP (CONTRACT §16): negotiation, every record across page boundaries, the
formula guard on text cells only, nested values, roles and the audit rows of audited reads."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import psycopg
import pytest
from starlette.testclient import TestClient

from neuropilot.listing import EXPORT_PAGE
from neuropilot.models import Item
from neuropilot.routes import ROUTES
from neuropilot.spreadsheets.export import filename, prefers_csv
from tests.api.test_stock import audit_rows, seed_count, seed_item, seed_location, seed_movement
from tests.conftest import Person

CSV = {"Accept": "text/csv"}


def rows(r: Any) -> list[dict[str, str]]:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert not r.content.startswith(b"\xef\xbb\xbf")  # no BOM
    return list(csv.DictReader(io.StringIO(r.content.decode(), newline="")))


def header(r: Any) -> list[str]:
    return next(csv.reader(io.StringIO(r.content.decode(), newline="")))


def export(client: TestClient, url: str, person: Person) -> list[dict[str, str]]:
    return rows(client.get(url, headers=person.headers | CSV))


@pytest.mark.parametrize(
    ("accept", "wanted"),
    [
        ("text/csv", True),
        ("text/csv; charset=utf-8", True),
        ("TEXT/CSV", True),
        ("text/*", True),
        ("text/csv, */*;q=0.8", True),
        ("text/csv, */*", True),  # the same q from a more specific range
        ("application/json;q=0.5, text/csv", True),
        ("", False),
        ("*/*", False),
        ("application/json", False),
        ("text/csv;q=0.5, application/json", False),
        ("text/csv, application/json", False),  # a full tie: JSON, the default
        ("text/csv;q=0", False),
        ("text/csv;q=oops", False),
        ("text/html, application/xhtml+xml", False),
    ],
)
def test_negotiation(accept: str, wanted: bool) -> None:
    assert prefers_csv(accept) is wanted


def test_file_names_follow_the_route() -> None:
    assert filename("/v1/items") == "items.csv"
    assert filename("/v1/reports/valuation") == "reports-valuation.csv"
    assert filename("/v1/suppliers/{id}/items") == "suppliers-items.csv"


def test_items_as_csv_with_the_json_field_names(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str]
) -> None:
    r = client.get("/v1/items", headers=people["viewer"].headers | CSV)
    assert r.headers["content-disposition"] == 'attachment; filename="items.csv"'
    assert "accept" in r.headers["vary"].lower()
    assert header(r) == list(Item.__struct_fields__)
    as_json = client.get("/v1/items", headers=people["viewer"].headers).json()["data"]
    exported = rows(r)
    assert [row["item_number"] for row in exported] == ["FLOUR", "MILK"]
    first = exported[0]
    assert first["min_qty"] == as_json[0]["min_qty"] == "5.000"  # decimals exactly as in JSON
    assert first["unit_cost"] == as_json[0]["unit_cost"] == "1.2500"
    assert first["active"] == "true"
    assert first["created_at"] == as_json[0]["created_at"]
    assert first["id"] == as_json[0]["id"]


@pytest.mark.parametrize(
    "accept", ["application/json", "text/csv;q=0.5, application/json", "text/csv, application/json", "*/*"]
)
def test_json_stays_the_default(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], accept: str
) -> None:
    r = client.get("/v1/items", headers=people["viewer"].headers | {"Accept": accept})
    assert r.headers["content-type"] == "application/json"
    assert len(r.json()["data"]) == 2
    assert "accept" in r.headers["vary"].lower()


def test_a_route_without_an_export_answers_json(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str]
) -> None:
    r = client.get(f"/v1/items/{kitchen['FLOUR']}", headers=people["viewer"].headers | CSV)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"


def test_every_record_across_page_boundaries_once_and_in_order(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection
) -> None:
    n = EXPORT_PAGE + 200  # more than one export page, and not a multiple of it
    owner.execute(
        "insert into item (item_number, name, unit, category) "
        "select 'N-' || lpad(g::text, 5, '0'), 'Item ' || g, 'kg', case when g %% 3 = 0 then 'three' end "
        "from generate_series(1, %s) as g",
        (n,),
    )
    exported = export(client, "/v1/items?limit=5&cursor=bogus", people["viewer"])  # limit and cursor do not apply
    numbers = [row["item_number"] for row in exported]
    assert numbers == [f"N-{g:05d}" for g in range(1, n + 1)]
    assert len(set(row["id"] for row in exported)) == n
    threes = export(client, "/v1/items?category=three", people["viewer"])  # the filters do
    assert [row["item_number"] for row in threes] == [f"N-{g:05d}" for g in range(3, n + 1, 3)]


def test_a_page_boundary_exactly_at_the_end(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection
) -> None:
    owner.execute(
        "insert into item (item_number, name, unit) select 'E-' || lpad(g::text, 5, '0'), 'x', 'kg' "
        "from generate_series(1, %s) as g",
        (EXPORT_PAGE,),
    )
    assert len(export(client, "/v1/items", people["viewer"])) == EXPORT_PAGE


def test_formula_injection_is_inert_in_text_cells_only(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection
) -> None:
    names = ['=HYPERLINK("http://x")', "+1", "-1+2", "@SUM(A1)", "\tTab", "\rCR", "plain, with a comma", "two\nlines"]
    for n, name in enumerate(names):
        seed_item(owner, f"F-{n}", category=name)
    loc = seed_location(owner, "DRY")
    item = seed_item(owner, "G-USE")
    seed_movement(owner, item, loc, "-2")
    exported = {row["item_number"]: row for row in export(client, "/v1/items", people["viewer"])}
    for n, name in enumerate(names):
        expected = "'" + name if name[0] in "=+-@\t\r" else name
        assert exported[f"F-{n}"]["category"] == expected
    movements = export(client, "/v1/movements", people["viewer"])
    assert [m["qty"] for m in movements] == ["-2.000"]  # a negative decimal is not touched
    stock = export(client, "/v1/stock", people["viewer"])
    assert [s["on_hand"] for s in stock] == ["-2.000"]


def test_a_negative_text_decimal_is_not_touched_either(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection
) -> None:
    """variance_value is text in JSON (exact, scale 7), declared decimal on the Struct."""
    item, loc = seed_item(owner, "V", unit_cost="2.0000"), seed_location(owner, "DRY")
    seed_count(owner, item, loc, "5")
    owner.execute("insert into inventory_count (item_id, location_id, qty_on_hand) values (%s, %s, 3)", (item, loc))
    exported = export(client, "/v1/reports/variance?since=2000-01-01T00:00:00Z", people["manager"])
    assert [(v["variance"], v["variance_value"]) for v in exported] == [
        ("5.000", "10.0000000"),
        ("-2.000", "-4.0000000"),
    ]


def test_reports_export_their_records(client: TestClient, people: dict[str, Person], owner: psycopg.Connection) -> None:
    item, loc = seed_item(owner, "R", category="dry", unit_cost="1.5000", min_qty="10"), seed_location(owner, "DRY")
    seed_count(owner, item, loc, "4")
    r = client.get("/v1/reports/valuation?group_by=location", headers=people["manager"].headers | CSV)
    assert r.headers["content-disposition"] == 'attachment; filename="reports-valuation.csv"'
    assert header(r) == ["location_id", "location_code", "location_name", "value", "items", "uncosted_items"]
    assert [(g["location_code"], g["value"], g["items"]) for g in rows(r)] == [("DRY", "6.0000000", "1")]
    by_category = export(client, "/v1/reports/valuation", people["manager"])
    assert [(g["category"], g["value"]) for g in by_category] == [("dry", "6.0000000")]
    low = export(client, "/v1/reports/low-stock", people["viewer"])
    assert [(x["item_number"], x["on_hand"], x["reorder_qty"]) for x in low] == [("R", "4.000", "0.000")]


def test_an_empty_list_is_a_header_row(client: TestClient, people: dict[str, Person]) -> None:
    r = client.get("/v1/movements", headers=people["viewer"].headers | CSV)
    assert r.content.decode().splitlines() == [",".join(h for h in header(r))]
    assert rows(r) == []


def test_nested_values_are_a_json_string_cell(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    r = client.patch(f"/v1/items/{kitchen['FLOUR']}", json={"min_qty": "6"}, headers=people["manager"].headers)
    assert r.status_code == 200
    (entry,) = export(client, "/v1/audit?entity=item", people["admin"])
    assert json.loads(entry["details"]) == {"after": {"min_qty": "6"}, "before": {"min_qty": "5.000"}}
    assert entry["action"] == "item.update"


def test_audited_reads_still_write_their_audit_row(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection
) -> None:
    before = audit_rows(owner)
    users = export(client, "/v1/users", people["admin"])
    assert sorted(u["email"] for u in users) == sorted(p.email for p in people.values())  # admins see every user
    assert "password_hash" not in users[0]
    trail = export(client, "/v1/audit", people["admin"])
    assert [e["action"] for e in trail] == ["user.list"]  # the users export's own row, in the audit export
    actions = owner.execute("select action from audit_log order by id").fetchall()
    assert audit_rows(owner) == before + 2
    assert [a for (a,) in actions][-2:] == ["user.list", "audit.read"]


@pytest.mark.parametrize(
    ("url", "role", "status"),
    [
        ("/v1/users", "manager", 403),
        ("/v1/audit", "manager", 403),
        ("/v1/reports/valuation", "viewer", 403),
        ("/v1/purchase-orders", "counter", 403),
        ("/v1/items", None, 401),
        ("/v1/movements?type=nonsense", "viewer", 422),
    ],
)
def test_refusals_are_problems_not_csv(
    client: TestClient, people: dict[str, Person], url: str, role: str | None, status: int
) -> None:
    headers = (people[role].headers if role else {}) | CSV
    r = client.get(url, headers=headers)
    assert r.status_code == status
    assert r.headers["content-type"] == "application/problem+json"


def test_every_list_and_report_offers_csv_and_the_document_says_so(client: TestClient) -> None:
    spec = client.get("/v1/openapi.json").json()
    lists = [op for op in ROUTES if op.method == "GET" and op.path.startswith("/v1/") and "{" not in op.path]
    offered = {op.path for op in lists if op.csv}
    assert offered == {op.path for op in lists} - {"/v1/me", "/v1/openapi.json"}
    for op in ROUTES:
        content = spec["paths"][op.path][op.method.lower()]["responses"][str(op.status)].get("content", {})
        assert ("text/csv" in content) is op.csv, op.path


def test_every_export_answers_csv(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    seed_count(owner, kitchen["FLOUR"], kitchen["DRY"], "2")
    supplier = owner.execute("insert into supplier (name) values ('S') returning id::text").fetchone()
    assert supplier is not None
    supplier_item = owner.execute(
        "insert into supplier_item (supplier_id, item_id, price) values (%s, %s, 1) returning id::text",
        (supplier[0], kitchen["FLOUR"]),
    ).fetchone()
    assert supplier_item is not None
    ids = {"items": kitchen["FLOUR"], "suppliers": supplier[0], "supplier-items": supplier_item[0]}
    for op in ROUTES:
        if not op.csv:
            continue
        path = op.path.replace("{id}", ids.get(op.path.split("/")[2], ""))
        required = [f"{p.name}=2000-01-01T00:00:00Z" for p in op.query if p.required]
        r = client.get(path + ("?" + "&".join(required) if required else ""), headers=people["admin"].headers | CSV)
        assert r.headers.get("content-disposition") == f'attachment; filename="{filename(op.path)}"', (path, r.text)
        rows(r)


def test_a_list_keyed_by_a_hidden_column_exports_every_row(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection
) -> None:
    """The suppliers' position is PostgreSQL's lower(name), a column the rows do not show (raw_key)."""
    n = EXPORT_PAGE + 50
    owner.execute("insert into supplier (name) select 'Supplier ' || g from generate_series(1, %s) as g", (n,))
    exported = [row["name"] for row in export(client, "/v1/suppliers", people["manager"])]
    assert len(exported) == len(set(exported)) == n
    assert exported == sorted(exported, key=str.lower)
    assert header(client.get("/v1/suppliers", headers=people["manager"].headers | CSV))[0] == "id"  # no sort_key


def test_a_count_breakdown_is_a_json_string_cell(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    row = owner.execute(
        "insert into item_pack (item_id, name, qty) values (%s, 'case', 6) returning id::text", (kitchen["FLOUR"],)
    ).fetchone()
    assert row is not None
    count = {"item_id": kitchen["FLOUR"], "location_id": kitchen["DRY"], "breakdown": [{"pack_id": row[0], "qty": "2"}]}
    posted = client.post("/v1/counts", json=count, headers=people["counter"].headers)
    assert posted.status_code == 201, posted.text
    (exported,) = export(client, "/v1/counts", people["viewer"])
    assert exported["qty_on_hand"] == posted.json()["qty_on_hand"] == "12.000"
    assert json.loads(exported["breakdown"]) == posted.json()["breakdown"]
