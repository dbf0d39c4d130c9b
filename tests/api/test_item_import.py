"""POST /v1/items/import over HTTP (CONTRACT §16): upserts by item_number, all or nothing, dry runs,
and every kind of bad file refused with the database unchanged."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from starlette.testclient import TestClient

from neuropilot.spreadsheets.reader import MAX_BYTES, MAX_ROWS
from tests.conftest import Person

CSV_TYPE = {"Content-Type": "text/csv"}


def post(client: TestClient, person: Person, body: str | bytes, query: str = "", **headers: str) -> Any:
    content = body.encode() if isinstance(body, str) else body
    return client.post(f"/v1/items/import{query}", content=content, headers=person.headers | CSV_TYPE | headers)


def items(owner: psycopg.Connection) -> dict[str, dict[str, Any]]:
    rows = owner.execute(
        "select item_number, name, unit, category, min_qty::text, max_qty::text, unit_cost::text, storage_zone,"
        " active, updated_at from item order by item_number"
    ).fetchall()
    keys = ("item_number", "name", "unit", "category", "min_qty", "max_qty", "unit_cost", "storage_zone", "active")
    return {row[0]: dict(zip((*keys, "updated_at"), row, strict=True)) for row in rows}


def snapshot(owner: psycopg.Connection) -> tuple[Any, ...]:
    audit = owner.execute("select count(*) from audit_log").fetchone()
    return items(owner), audit


@pytest.fixture
def unchanged(owner: psycopg.Connection, kitchen: dict[str, str]) -> Iterator[None]:
    """The test's requests must leave the items and the audit trail as they were."""
    before = snapshot(owner)
    yield
    assert snapshot(owner) == before


def problems(r: Any, status: int = 422) -> list[dict[str, Any]]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert "Nothing was imported" in body["detail"]
    errors: list[dict[str, Any]] = body["errors"]
    return errors


# --- what an import does ---


def test_creates_updates_and_leaves_unchanged_in_one_file(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    flour_before = items(owner)["FLOUR"]["updated_at"]
    body = (
        "unit,item_number,name,min_qty,unit_cost\n"  # any order
        "kg,FLOUR,Flour,5,1.25\n"  # as it is (5 == 5.000, 1.25 == 1.2500)
        "kg,MILK,Milk,7.5,0.99\n"  # min_qty changes
        "l,OIL,Olive oil,2,8.5000\n"  # new
    )
    r = post(client, people["manager"], body)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "created": 1,
        "updated": 1,
        "unchanged": 1,
        "dry_run": False,
        "rows": [
            {"line": 2, "item_number": "FLOUR", "action": "unchanged"},
            {"line": 3, "item_number": "MILK", "action": "updated"},
            {"line": 4, "item_number": "OIL", "action": "created"},
        ],
    }
    after = items(owner)
    assert after["FLOUR"]["updated_at"] == flour_before  # an unchanged row is not rewritten
    assert (after["MILK"]["min_qty"], after["MILK"]["max_qty"], after["MILK"]["category"]) == (
        "7.500",
        "20.000",
        "dairy",
    )
    oil = after["OIL"]
    assert (oil["name"], oil["unit"], oil["min_qty"], oil["max_qty"], oil["unit_cost"]) == (
        "Olive oil",
        "l",
        "2.000",
        "0.000",
        "8.5000",
    )
    assert (oil["category"], oil["storage_zone"], oil["active"]) == (None, None, True)
    (details,) = owner.execute("select details from audit_log where action = 'item.import'").fetchone() or ()
    assert details == {"created": 1, "updated": 1, "unchanged": 1, "dry_run": False, "rows": 3}


def test_a_missing_column_keeps_the_field_and_an_empty_cell_clears_only_nullable_ones(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    r = post(client, people["admin"], "item_number,category,min_qty,unit_cost,storage_zone,active\nFLOUR,,,,dry,no\n")
    assert r.status_code == 200, r.text
    flour = items(owner)["FLOUR"]
    assert flour["category"] is None and flour["unit_cost"] is None  # empty: null
    assert flour["min_qty"] == "5.000"  # empty in a column that cannot be null: kept
    assert (flour["name"], flour["max_qty"]) == ("Flour", "20.000")  # not in the file: kept
    assert (flour["storage_zone"], flour["active"]) == ("dry", False)


def test_a_dry_run_says_what_it_would_do_and_writes_nothing(
    client: TestClient, people: dict[str, Person], unchanged: None
) -> None:
    r = post(client, people["manager"], "item_number,name,unit\nFLOUR,Flour 00,kg\nNEW,New,kg\n", "?dry_run=true")
    assert r.status_code == 200, r.text
    assert (r.json()["created"], r.json()["updated"], r.json()["dry_run"]) == (1, 1, True)


def test_an_exported_file_imports_back_unchanged(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    owner.execute(
        "update item set category = '=HYPERLINK(\"http://x\")', name = 'Milk, whole\nfresh' where item_number = 'MILK'"
    )
    exported = client.get("/v1/items", headers=people["manager"].headers | {"Accept": "text/csv"})
    assert exported.status_code == 200
    header, *rows = list(csv.reader(io.StringIO(exported.text, newline="")))
    keep = [
        header.index(c)
        for c in ("item_number", "name", "unit", "category", "min_qty", "max_qty", "unit_cost", "active")
    ]
    out = io.StringIO()
    csv.writer(out).writerows([[row[i] for i in keep] for row in [header, *rows]])
    before = snapshot(owner)
    r = post(client, people["manager"], out.getvalue())
    assert r.status_code == 200, r.text
    assert (r.json()["unchanged"], r.json()["updated"], r.json()["created"]) == (2, 0, 0)
    assert snapshot(owner)[0] == before[0]


def test_bom_crlf_quoted_commas_and_newlines_and_trailing_empty_lines(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    body = (
        "\ufeffitem_number,name,unit\r\n"
        'A1,"Beans, dried",kg\r\n'
        'A2,"Two\r\nlines, ""quoted""",kg\r\n'
        "A3,Third,kg\r\n"
        "\r\n"
        ",,\r\n"
    )
    r = post(client, people["manager"], body)
    assert r.status_code == 200, r.text
    assert [(row["line"], row["item_number"]) for row in r.json()["rows"]] == [(2, "A1"), (3, "A2"), (5, "A3")]
    after = items(owner)
    assert after["A1"]["name"] == "Beans, dried"
    assert after["A2"]["name"] == 'Two\r\nlines, "quoted"'


def test_a_replayed_idempotency_key_imports_once(
    client: TestClient, people: dict[str, Person], kitchen: dict[str, str], owner: psycopg.Connection
) -> None:
    body = "item_number,name,unit\nNEW,New,kg\n"
    first = post(client, people["manager"], body, **{"Idempotency-Key": "import-1"})
    again = post(client, people["manager"], body, **{"Idempotency-Key": "import-1"})
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    (n,) = owner.execute("select count(*) from audit_log where action = 'item.import'").fetchone() or ()
    assert n == 1


def test_the_limits_are_inclusive(client: TestClient, people: dict[str, Person], unchanged: None) -> None:
    rows = "".join(f"N{n},Item {n},kg\n" for n in range(MAX_ROWS))
    r = post(client, people["manager"], "item_number,name,unit\n" + rows, "?dry_run=true")
    assert r.status_code == 200, r.text
    assert r.json()["created"] == MAX_ROWS
    exactly = b"item_number\n" + b"x" * (MAX_BYTES - len(b"item_number\n"))
    assert len(exactly) == MAX_BYTES
    assert post(client, people["manager"], exactly).status_code == 422  # read, and refused for what it holds


@pytest.mark.parametrize(("role", "status"), [("counter", 403), ("viewer", 403)])
def test_only_managers_import(
    client: TestClient, people: dict[str, Person], unchanged: None, role: str, status: int
) -> None:
    assert post(client, people[role], "item_number,name,unit\nNEW,New,kg\n").status_code == status
    assert client.post("/v1/items/import", content=b"item_number\nX\n", headers=CSV_TYPE).status_code == 401


def test_other_methods_are_405_not_an_item(client: TestClient, people: dict[str, Person]) -> None:
    for method in ("GET", "DELETE", "PATCH"):
        r = client.request(method, "/v1/items/import", headers=people["admin"].headers)
        assert r.status_code == 405, method
        assert r.headers["allow"] == "POST"


# --- bad files: refused whole, the database unchanged ---


def test_duplicate_item_numbers_name_both_lines(client: TestClient, people: dict[str, Person], unchanged: None) -> None:
    errors = problems(post(client, people["manager"], "item_number,name,unit\nDUP,A,kg\nOK,B,kg\nDUP,C,kg\n"))
    assert errors == [
        {
            "path": "line 4: item_number",
            "line": 4,
            "column": "item_number",
            "message": "DUP is also on line 2: one row per item",
        }
    ]


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("12,5", "'12,5' has a decimal comma: write it with a point, e.g. 12.5 (and no thousands separators)"),
        ("1.234,5", "'1.234,5' has a decimal comma: write it with a point, e.g. 1234.5 (and no thousands separators)"),
        ("-1", "may not be negative"),
        ("1.23456", "at most 4 decimals"),
        ("abc", "'abc' is not a number: write it like 12.5"),
        ("1e3", "'1e3' is not a number: write it like 12.5"),
        ("12345678901", "too large: at most 9999999999.9999"),
        ("9" * 5000, "'" + "9" * 40 + "' is not a number: write it like 12.5"),
    ],
)
def test_bad_decimals_say_what_to_fix(
    client: TestClient, people: dict[str, Person], unchanged: None, cell: str, message: str
) -> None:
    errors = problems(post(client, people["manager"], f'item_number,unit_cost\nFLOUR,"{cell}"\n'))
    assert errors == [{"path": "line 2: unit_cost", "line": 2, "column": "unit_cost", "message": message}]


def test_huge_integers_in_every_numeric_column_are_422_not_500(
    client: TestClient, people: dict[str, Person], unchanged: None
) -> None:
    huge = "1" * 100_000
    errors = problems(
        post(client, people["manager"], f"item_number,min_qty,max_qty,unit_cost\nFLOUR,{huge},{huge},{huge}\n")
    )
    assert [e["column"] for e in errors] == ["min_qty", "max_qty", "unit_cost"]


def test_every_problem_of_the_file_is_listed(client: TestClient, people: dict[str, Person], unchanged: None) -> None:
    body = (
        "item_number,name,unit,min_qty,active,storage_zone\n"
        "FLOUR,,kg,x,maybe,attic\n"
        "NEW,,,1,true,dry\n"
        ",A,kg,1,true,dry\n"
    )
    errors = problems(post(client, people["manager"], body))
    assert [e["path"] for e in errors] == [
        "line 2: min_qty",
        "line 2: active",
        "line 2: storage_zone",
        "line 3: name",
        "line 3: unit",
        "line 4: item_number",
    ]
    assert errors[3]["message"] == "required for a new item (NEW is not in the catalog)"


def test_too_many_rows(client: TestClient, people: dict[str, Person], unchanged: None) -> None:
    rows = "".join(f"N{n}\n" for n in range(MAX_ROWS + 1))
    errors = problems(post(client, people["manager"], "item_number\n" + rows))
    assert errors == [
        {
            "path": f"line {MAX_ROWS + 2}",
            "line": MAX_ROWS + 2,
            "column": None,
            "message": "more than 10000 rows: split the file",
        }
    ]


def test_a_body_over_2_mib_is_413_declared_or_chunked(
    client: TestClient, people: dict[str, Person], unchanged: None
) -> None:
    big = b"item_number\n" + b"x" * (MAX_BYTES + 1 - len(b"item_number\n"))
    assert len(big) == MAX_BYTES + 1
    r = post(client, people["manager"], big)
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(big), 64 * 1024):
            yield big[start : start + 64 * 1024]

    r = client.post("/v1/items/import", content=chunks(), headers=people["manager"].headers | CSV_TYPE)
    assert r.status_code == 413
    assert client.post("/v1/items", content=b"x" * (600 * 1024), headers=people["manager"].headers).status_code == 413


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "item_number,name,colour\nX,Y,red\n",
            [("line 1: colour", "unknown column 'colour'; the columns are item_number")],
        ),
        ("name,unit\nFlour,kg\n", [("line 1: item_number", "missing: this column is required")]),
        ("item_number,item_number\nA,B\n", [("line 1: item_number", "named twice")]),
        ("", [("line 1", "the first line names the columns")]),
        ("\n\n", [("line 1", "the first line names the columns")]),
        ("item_number,name\n", [("line 2", "no rows below the header: nothing to import")]),
        (
            "item_number,name\nA,B,C\nD\n",
            [("line 2", "3 cells, but the header names 2 columns"), ("line 3", "1 cells")],
        ),
        ('item_number,name\nA,"open\n', [("line 2", "the CSV is malformed")]),
        ("item_number,name\nA,B\x00C\n", [("line 2", "a cell contains a NUL character")]),
        ("item_number,name\nA\nB,\n", [("line 2", "1 cells, but the header names 2 columns")]),
        ("item_number,name\n" + "X" * 51 + ",n\n", [("line 2: item_number", "at most 50 characters (this has 51)")]),
        ('item_number,name\n"A\nB",n\n', [("line 2: item_number", "may not contain a line break")]),
    ],
)
def test_bad_files(
    client: TestClient, people: dict[str, Person], unchanged: None, body: str, expected: list[tuple[str, str]]
) -> None:
    errors = problems(post(client, people["manager"], body))
    assert len(errors) == len(expected), errors
    for error, (path, message) in zip(errors, expected, strict=True):
        assert error["path"] == path
        assert error["message"].startswith(message), error


def test_a_latin_1_file_is_not_utf_8(client: TestClient, people: dict[str, Person], unchanged: None) -> None:
    body = "item_number,name,unit\nFLOUR,Flour,kg\nCAFE,Café crème,kg\n".encode("latin-1")
    errors = problems(post(client, people["manager"], body))
    assert errors == [
        {
            "path": "line 3",
            "line": 3,
            "column": None,
            "message": 'not UTF-8 (byte 0xE9): save the file as "CSV UTF-8" and upload it again',
        }
    ]


@pytest.mark.parametrize(
    "content_type", ["application/json", "text/plain", "text/csv; charset=latin-1", "multipart/form-data", ""]
)
def test_anything_but_utf_8_csv_is_415(
    client: TestClient, people: dict[str, Person], unchanged: None, content_type: str
) -> None:
    r = client.post(
        "/v1/items/import",
        content=b"item_number\nX\n",
        headers=people["manager"].headers | {"Content-Type": content_type},
    )
    assert r.status_code == 415
    assert r.headers["content-type"] == "application/problem+json"


def test_utf_8_charset_is_accepted(client: TestClient, people: dict[str, Person], kitchen: dict[str, str]) -> None:
    r = client.post(
        "/v1/items/import",
        content="item_number,name\nFLOUR,Flour ü\n".encode(),
        headers=people["manager"].headers | {"Content-Type": 'text/csv; charset="UTF-8"'},
    )
    assert r.status_code == 200, r.text
    assert r.json()["updated"] == 1
