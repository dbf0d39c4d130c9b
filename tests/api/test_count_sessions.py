"""Count sheets and count sessions (CONTRACT §14) over HTTP: sheets, opening (lines in sheet order, then
the other stocked items), the walk, blind mode per role, recording lines (resends, late phones, packs),
the variance as of each line's counted_at, posting and canceling, every refusal with nothing written,
and the races: two opens, two counters on one line, a post against a line PUT, two posts."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from tests.conftest import Person

Kitchen = dict[str, str]


def item(owner: psycopg.Connection, number: str, cost: str | None = "2.0000", active: bool = True) -> str:
    row = owner.execute(
        "insert into item (item_number, name, unit, unit_cost, active) values (%s, %s, 'kg', %s, %s) returning id",
        (number, number.title(), cost, active),
    ).fetchone()
    assert row is not None
    return str(row[0])


def stock(owner: psycopg.Connection, item_id: str, location_id: str, qty: str, at: str = "now()") -> None:
    owner.execute(
        f"insert into inventory_count (item_id, location_id, qty_on_hand, counted_at) values (%s, %s, %s, {at})",
        (item_id, location_id, qty),
    )


def pack(owner: psycopg.Connection, item_id: str, name: str, qty: str, active: bool = True) -> str:
    row = owner.execute(
        "insert into item_pack (item_id, name, qty, active) values (%s, %s, %s, %s) returning id",
        (item_id, name, qty, active),
    ).fetchone()
    assert row is not None
    return str(row[0])


def snapshot(owner: psycopg.Connection) -> tuple[Any, ...]:
    """Everything a refused request must leave as it was."""
    tables = ("count_session", "count_session_location", "count_session_line", "location_sheet_item", "audit_log")
    counts = tuple(owner.execute(f"select count(*) from {t}").fetchone() for t in tables)
    lines = owner.execute(
        "select session_id, location_id, item_id, counted_qty, counted_at, counted_by, breakdown"
        " from count_session_line order by 1, 2, 3"
    ).fetchall()
    inventory = owner.execute("select count(*) from inventory_count").fetchone()
    status = owner.execute("select id, status from count_session order by id").fetchall()
    return counts, lines, inventory, status


def open_session(client: TestClient, person: Person, *locations: str, **extra: Any) -> Any:
    r = client.post("/v1/count-sessions", json={"location_ids": list(locations)} | extra, headers=person.headers)
    assert r.status_code == 201, r.text
    return r.json()


def lines(client: TestClient, person: Person, session: dict[str, Any], query: str = "") -> Any:
    r = client.get(f"/v1/count-sessions/{session['id']}/lines{query}", headers=person.headers)
    assert r.status_code == 200, r.text
    return r.json()


def put_line(client: TestClient, person: Person, session: dict[str, Any], **body: Any) -> Any:
    return client.put(f"/v1/count-sessions/{session['id']}/lines", json=body, headers=person.headers)


def act(client: TestClient, person: Person, session: dict[str, Any], action: str, body: Any = None) -> Any:
    return client.post(f"/v1/count-sessions/{session['id']}/{action}", json=body, headers=person.headers)


def iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def started(session: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(session["started_at"].replace("Z", "+00:00"))


# --- sheets ------------------------------------------------------------------------------------------------


def test_a_sheet_is_replaced_whole_in_the_order_given_and_audited(
    client: TestClient, people: dict[str, Person], kitchen: Kitchen, owner: psycopg.Connection
) -> None:
    m, dry = people["manager"], kitchen["DRY"]
    salt = item(owner, "SALT")
    r = client.put(f"/v1/locations/{dry}/sheet", json={"items": [salt, kitchen["FLOUR"]]}, headers=m.headers)
    assert r.status_code == 200, r.text
    assert [(row["item_number"], row["position"]) for row in r.json()["data"]] == [("SALT", 1), ("FLOUR", 2)]
    client.put(f"/v1/locations/{dry}/sheet", json={"items": [kitchen["MILK"], salt]}, headers=m.headers)
    got = client.get(f"/v1/locations/{dry}/sheet", headers=people["viewer"].headers).json()["data"]
    assert [(row["item_number"], row["position"], row["unit"]) for row in got] == [("MILK", 1, "kg"), ("SALT", 2, "kg")]
    assert set(got[0]) == {"item_id", "item_number", "item_name", "unit", "position"}
    audit = owner.execute(
        "select action, entity_id::text, details->'after'->>'items' from audit_log order by id"
    ).fetchall()
    assert audit == [("location.sheet", dry, "2"), ("location.sheet", dry, "2")]
    cleared = client.put(f"/v1/locations/{dry}/sheet", json={"items": []}, headers=m.headers)
    assert cleared.json() == {"data": []}


@pytest.mark.parametrize(
    ("case", "status", "path"),
    [
        ("duplicate", 422, "$.items[2]"),
        ("unknown", 422, "$.items[1]"),
        ("inactive", 422, "$.items[0]"),
        ("unknown location", 404, None),
        ("counter", 403, None),
        ("viewer", 403, None),
        ("not a list", 422, "$.items"),
    ],
)
def test_a_refused_sheet_changes_nothing(
    client: TestClient,
    people: dict[str, Person],
    kitchen: Kitchen,
    owner: psycopg.Connection,
    case: str,
    status: int,
    path: str | None,
) -> None:
    m, dry, flour, milk = people["manager"], kitchen["DRY"], kitchen["FLOUR"], kitchen["MILK"]
    client.put(f"/v1/locations/{dry}/sheet", json={"items": [milk]}, headers=m.headers)
    before = snapshot(owner)
    url, body, who = f"/v1/locations/{dry}/sheet", {"items": [flour, milk]}, m
    if case == "duplicate":
        body = {"items": [flour, milk, flour]}
    elif case == "unknown":
        body = {"items": [flour, "00000000-0000-4000-8000-000000000000"]}
    elif case == "inactive":
        body = {"items": [item(owner, "GONE", active=False), flour]}
        before = snapshot(owner)
    elif case == "unknown location":
        url = "/v1/locations/00000000-0000-4000-8000-000000000000/sheet"
    elif case == "not a list":
        body = {"items": flour}  # type: ignore[dict-item]
    elif case in ("counter", "viewer"):
        who = people[case]
    r = client.put(url, json=body, headers=who.headers)
    assert r.status_code == status, r.text
    if path:
        assert r.json()["errors"][0]["path"] == path
    assert snapshot(owner) == before


# --- opening a session -------------------------------------------------------------------------------------


def test_lines_are_the_sheet_in_order_then_the_other_stocked_items_by_number(
    client: TestClient, people: dict[str, Person], kitchen: Kitchen, owner: psycopg.Connection
) -> None:
    m, dry, cool = people["manager"], kitchen["DRY"], kitchen["COOL"]
    zeta, alpha, beta, empty = item(owner, "ZETA"), item(owner, "ALPHA"), item(owner, "BETA"), item(owner, "EMPTY")
    retired = item(owner, "RETIRED")
    for stocked in (alpha, beta, kitchen["FLOUR"], retired):
        stock(owner, stocked, dry, "4")
    stock(owner, empty, dry, "0")  # a stock row at 0 is not "holding stock": not a line unless on the sheet
    stock(owner, kitchen["MILK"], cool, "3")
    owner.execute("update item set active = false where id = %s", (retired,))
    client.put(f"/v1/locations/{dry}/sheet", json={"items": [zeta, alpha]}, headers=m.headers)
    session = open_session(client, m, cool, dry, note="Monday")
    assert session | {"id": None, "started_at": None} == {
        "id": None,
        "status": "open",
        "blind": False,
        "location_ids": [cool, dry],
        "note": "Monday",
        "started_at": None,
        "created_by": m.id,
        "posted_at": None,
        "lines_total": 5,
        "lines_counted": 0,
    }
    walk = lines(client, m, session)["data"]
    assert [(row["location_code"], row["item_number"], row["position"]) for row in walk] == [
        ("COOL", "MILK", 1),
        ("DRY", "ZETA", 1),
        ("DRY", "ALPHA", 2),
        ("DRY", "BETA", 3),
        ("DRY", "FLOUR", 4),
    ]
    assert [row["expected"] for row in walk] == ["3.000", "0.000", "4.000", "4.000", "4.000"]
    assert walk[0]["counted_qty"] is None and walk[0]["counted_at"] is None and walk[0]["breakdown"] is None
    only_dry = lines(client, m, session, f"?location_id={dry}")["data"]
    assert [row["item_number"] for row in only_dry] == ["ZETA", "ALPHA", "BETA", "FLOUR"]
    assert owner.execute("select action from audit_log order by id desc limit 1").fetchone() == ("count_session.open",)


def test_the_walk_pages_with_a_cursor_and_refuses_a_forged_one(
    client: TestClient, people: dict[str, Person], kitchen: Kitchen, owner: psycopg.Connection
) -> None:
    c, dry = people["counter"], kitchen["DRY"]
    numbers = [f"N{n:02d}" for n in range(7)]
    client.put(
        f"/v1/locations/{dry}/sheet", json={"items": [item(owner, n) for n in numbers]}, headers=people["admin"].headers
    )
    session = open_session(client, people["admin"], dry)
    seen, cursor = [], None
    while True:
        page = lines(client, c, session, "?limit=3" + (f"&cursor={cursor}" if cursor else ""))
        seen += [row["item_number"] for row in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == numbers
    for forged in ("WyJ4Il0", "e30", "!!", "WzEsMl0"):
        r = client.get(f"/v1/count-sessions/{session['id']}/lines?cursor={forged}", headers=c.headers)
        assert r.status_code == 422, (forged, r.text)


def test_opening_is_idempotent_with_a_key(
    client: TestClient, people: dict[str, Person], kitchen: Kitchen, owner: psycopg.Connection
) -> None:
    h = people["manager"].headers | {"Idempotency-Key": "monday-walk"}
    body = {"location_ids": [kitchen["DRY"]]}
    first, again = (client.post("/v1/count-sessions", json=body, headers=h) for _ in range(2))
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert owner.execute("select count(*) from count_session").fetchone() == (1,)


@pytest.mark.parametrize(
    ("case", "status", "path"),
    [
        ("duplicate", 422, "$.location_ids[1]"),
        ("unknown", 422, "$.location_ids[1]"),
        ("inactive", 422, "$.location_ids[0]"),
        ("empty", 422, "$.location_ids"),
        ("too many", 422, "$.location_ids"),
        ("open elsewhere", 409, None),
        ("counter", 403, None),
        ("viewer", 403, None),
        ("unknown field", 422, "$.blnd"),
    ],
)
def test_a_refused_open_changes_nothing(
    client: TestClient,
    people: dict[str, Person],
    kitchen: Kitchen,
    owner: psycopg.Connection,
    case: str,
    status: int,
    path: str | None,
) -> None:
    m, dry, cool = people["manager"], kitchen["DRY"], kitchen["COOL"]
    stock(owner, kitchen["FLOUR"], dry, "2")
    open_session(client, m, cool)
    body: dict[str, Any] = {"location_ids": [dry]}
    who = m
    if case == "duplicate":
        body = {"location_ids": [dry, dry]}
    elif case == "unknown":
        body = {"location_ids": [dry, "00000000-0000-4000-8000-000000000000"]}
    elif case == "inactive":
        gone = owner.execute(
            "insert into location (code, name, temp_zone, active) values ('OLD', 'Old', 'dry', false) returning id"
        ).fetchone()
        assert gone is not None
        body = {"location_ids": [str(gone[0])]}
    elif case == "empty":
        body = {"location_ids": []}
    elif case == "too many":
        body = {"location_ids": [dry] * 51}
    elif case == "open elsewhere":
        body = {"location_ids": [dry, cool]}
    elif case == "unknown field":
        body = {"location_ids": [dry], "blnd": True}
    elif case in ("counter", "viewer"):
        who = people[case]
    before = snapshot(owner)
    r = client.post("/v1/count-sessions", json=body, headers=who.headers)
    assert r.status_code == status, r.text
    if path:
        assert r.json()["errors"][0]["path"] == path
    if case == "open elsewhere":
        assert cool in r.json()["detail"]
    assert snapshot(owner) == before


def test_two_managers_opening_over_one_location_at_once_get_one_session(
    client: TestClient, people: dict[str, Person], kitchen: Kitchen, owner: psycopg.Connection
) -> None:
    for attempt in range(5):
        barrier = threading.Barrier(2)

        def open_now(who: str, barrier: threading.Barrier = barrier) -> int:
            barrier.wait()
            body = {"location_ids": [kitchen["DRY"], kitchen["COOL"]]}
            return client.post("/v1/count-sessions", json=body, headers=people[who].headers).status_code

        with ThreadPoolExecutor(2) as pool:
            statuses = sorted(pool.map(open_now, ("manager", "admin")))
        assert statuses == [201, 409], (attempt, statuses)
        opened = owner.execute("select id from count_session where status = 'open'").fetchall()
        assert len(opened) == 1
        owner.execute("update count_session set status = 'canceled', canceled_at = now() where status = 'open'")


def test_sessions_list_newest_first_with_a_status_filter_and_roles(
    client: TestClient, people: dict[str, Person], kitchen: Kitchen
) -> None:
    m = people["manager"]
    first = open_session(client, m, kitchen["DRY"])
    act(client, m, first, "cancel")
    second = open_session(client, m, kitchen["DRY"])
    listed = client.get("/v1/count-sessions", headers=people["counter"].headers).json()
    assert [s["id"] for s in listed["data"]] == [second["id"], first["id"]] and listed["next_cursor"] is None
    page = client.get("/v1/count-sessions?limit=1", headers=m.headers).json()
    rest = client.get(f"/v1/count-sessions?limit=1&cursor={page['next_cursor']}", headers=m.headers).json()
    assert [s["id"] for s in page["data"] + rest["data"]] == [second["id"], first["id"]]
    canceled = client.get("/v1/count-sessions?status=canceled", headers=m.headers).json()["data"]
    assert [(s["id"], s["status"]) for s in canceled] == [(first["id"], "canceled")]
    got = client.get(f"/v1/count-sessions/{second['id']}", headers=people["counter"].headers)
    assert got.status_code == 200 and got.json() == second and "ETag" in got.headers
    assert client.get("/v1/count-sessions?status=done", headers=m.headers).status_code == 422
    viewer = people["viewer"].headers
    assert client.get("/v1/count-sessions", headers=viewer).status_code == 403
    assert client.get(f"/v1/count-sessions/{second['id']}", headers=viewer).status_code == 403
    assert client.get(f"/v1/count-sessions/{second['id']}/lines", headers=viewer).status_code == 403
    unknown = "/v1/count-sessions/00000000-0000-4000-8000-000000000000"
    for path in ("", "/lines", "/variance"):
        assert client.get(unknown + path, headers=m.headers).status_code == 404


# --- blind mode ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("blind", "role", "sees"), [
    (True, "counter", False), (True, "manager", True), (True, "admin", True),
    (False, "counter", True), (False, "manager", True),
])  # fmt: skip
def test_blind_sessions_hide_expected_from_counters_only(
    client: TestClient,
    people: dict[str, Person],
    kitchen: Kitchen,
    owner: psycopg.Connection,
    blind: bool,
    role: str,
    sees: bool,
) -> None:
    stock(owner, kitchen["FLOUR"], kitchen["DRY"], "8.5")
    session = open_session(client, people["manager"], kitchen["DRY"], blind=blind)
    assert session["blind"] is blind
    (line,) = lines(client, people[role], session)["data"]
    assert line["expected"] == ("8.500" if sees else None)
    r = put_line(client, people[role], session, item_id=kitchen["FLOUR"], location_id=kitchen["DRY"], qty_on_hand="8")
    assert r.status_code == 200 and r.json()["expected"] == ("8.500" if sees else None)


# --- recording lines -------------------------------------------------------------------------------------------


def test_recording_a_line_resends_and_late_phones(
    client: TestClient, people: dict[str, Person], kitchen: Kitchen, owner: psycopg.Connection
) -> None:
    c, m, dry, flour = people["counter"], people["manager"], kitchen["DRY"], kitchen["FLOUR"]
    stock(owner, flour, dry, "10")
    session = open_session(client, m, dry)
    at = started(session) + timedelta(milliseconds=5)
    body = {"item_id": flour, "location_id": dry, "qty_on_hand": "9.5", "counted_at": iso(at)}
    first = put_line(client, c, session, **body)
    assert first.status_code == 200, first.text
    line = first.json()
    assert (line["counted_qty"], line["counted_by"], line["breakdown"]) == ("9.500", c.id, None)
    assert datetime.fromisoformat(line["counted_at"].replace("Z", "+00:00")) == at
    again = put_line(client, c, session, **body)  # an offline phone resends: harmless
    assert again.status_code == 200 and again.json() == line
    newer = put_line(
        client, m, session, **body | {"qty_on_hand": "9", "counted_at": iso(at + timedelta(milliseconds=5))}
    )
    assert newer.json()["counted_qty"] == "9.000" and newer.json()["counted_by"] == m.id
    late = put_line(client, c, session, **body | {"qty_on_hand": "1"})  # the old count arrives after the recount
    assert late.status_code == 200 and late.json() == newer.json()
    time.sleep(0.02)
    now = put_line(client, c, session, item_id=flour, location_id=dry, qty_on_hand="7")  # counted_at: now
    assert now.json()["counted_qty"] == "7.000"
    assert client.get(f"/v1/count-sessions/{session['id']}", headers=c.headers).json()["lines_counted"] == 1
    audit = owner.execute(
        "select actor_id::text, (details->>'applied')::boolean from audit_log"
        " where action = 'count_session.line' order by id"
    ).fetchall()
    assert audit == [(c.id, True), (c.id, True), (m.id, True), (c.id, False), (c.id, True)]
    assert owner.execute("select count(*) from inventory_count").fetchone() == (1,)  # nothing posted yet


def test_a_line_counted_in_packs_keeps_its_breakdown(
    client: TestClient, people: dict[str, Person], kitchen: Kitchen, owner: psycopg.Connection
) -> None:
    c, dry, flour = people["counter"], kitchen["DRY"], kitchen["FLOUR"]
    case, bag = pack(owner, flour, "case", "6"), pack(owner, flour, "bag", "1.5")
    pack(owner, flour, "old sack", "25", active=False)
    stock(owner, flour, dry, "20")
    session = open_session(client, people["manager"], dry)
    (listed,) = lines(client, c, session)["data"]
    assert [(p["name"], p["qty"]) for p in listed["packs"]] == [("bag", "1.500"), ("case", "6.000")]
    parts = [{"pack_id": case, "qty": "3"}, {"pack_id": bag, "qty": "1"}, {"pack_id": None, "qty": "0.25"}]
    r = put_line(client, c, session, item_id=flour, location_id=dry, breakdown=parts)
    assert r.status_code == 200, r.text
    assert r.json()["counted_qty"] == "19.750"
    assert r.json()["breakdown"] == [
        {"pack_id": case, "qty": "3", "pack_qty": "6.000"},
        {"pack_id": bag, "qty": "1", "pack_qty": "1.500"},
        {"pack_id": None, "qty": "0.25", "pack_qty": "1"},
    ]
    posted = act(client, people["manager"], session, "post", {"uncounted": "keep"})
    assert posted.status_code == 200, posted.text
    count = owner.execute("select qty_on_hand::text, breakdown from inventory_count where count_session_id is not null")
    assert count.fetchone() == ("19.750", r.json()["breakdown"])


@pytest.mark.parametrize(
    ("case", "status", "path"),
    [
        ("before start", 422, "$.counted_at"),
        ("future", 422, "$.counted_at"),
        ("not a line", 422, "$.item_id"),
        ("both", 422, "$.breakdown"),
        ("neither", 422, "$.qty_on_hand"),
        ("negative", 422, "$.qty_on_hand"),
        ("too precise", 422, "$.qty_on_hand"),
        ("another item's pack", 422, "$.breakdown[1].pack_id"),
        ("inactive pack", 422, "$.breakdown[0].pack_id"),
        ("fraction of 0.001", 422, "$.breakdown"),
        ("eleven parts", 422, "$.breakdown"),
        ("posted", 409, None),
        ("canceled", 409, None),
        ("unknown session", 404, None),
        ("viewer", 403, None),
    ],
)
def test_a_refused_line_changes_nothing(
    client: TestClient,
    people: dict[str, Person],
    kitchen: Kitchen,
    owner: psycopg.Connection,
    case: str,
    status: int,
    path: str | None,
) -> None:
    c, m, dry, flour, milk = people["counter"], people["manager"], kitchen["DRY"], kitchen["FLOUR"], kitchen["MILK"]
    stock(owner, flour, dry, "5")
    session = open_session(client, m, dry)
    bag, other = pack(owner, flour, "bag", "0.333"), pack(owner, milk, "crate", "12")
    old = pack(owner, flour, "sack", "25", active=False)
    body: dict[str, Any] = {"item_id": flour, "location_id": dry, "qty_on_hand": "4"}
    who, target = c, session
    if case == "before start":
        body["counted_at"] = iso(started(session) - timedelta(seconds=1))
    elif case == "future":
        body["counted_at"] = iso(datetime.now(UTC) + timedelta(minutes=2))
    elif case == "not a line":
        body["item_id"] = milk
    elif case == "both":
        body["breakdown"] = [{"pack_id": None, "qty": "4"}]
    elif case == "neither":
        del body["qty_on_hand"]
    elif case == "negative":
        body["qty_on_hand"] = "-1"
    elif case == "too precise":
        body["qty_on_hand"] = "1.0005"
    elif case.endswith("pack") or case.startswith(("fraction", "eleven")):
        del body["qty_on_hand"]
        body["breakdown"] = {
            "another item's pack": [{"pack_id": None, "qty": "1"}, {"pack_id": other, "qty": "1"}],
            "inactive pack": [{"pack_id": old, "qty": "1"}],
            "fraction of 0.001": [{"pack_id": bag, "qty": "0.5"}],
            "eleven parts": [{"pack_id": None, "qty": "1"}] * 11,
        }[case]
    elif case in ("posted", "canceled"):
        act(
            client,
            m,
            session,
            "post" if case == "posted" else "cancel",
            {"uncounted": "keep"} if case == "posted" else None,
        )
    elif case == "unknown session":
        target = {"id": "00000000-0000-4000-8000-000000000000"}
    elif case == "viewer":
        who = people["viewer"]
    before = snapshot(owner)
    r = put_line(client, who, target, **body)
    assert r.status_code == status, r.text
    if path:
        assert r.json()["errors"][0]["path"] == path
    assert snapshot(owner) == before


def test_two_counters_on_one_line_at_once_leave_one_line(
    client: TestClient, people: dict[str, Person], kitchen: Kitchen, owner: psycopg.Connection
) -> None:
    dry, flour = kitchen["DRY"], kitchen["FLOUR"]
    stock(owner, flour, dry, "5")
    session = open_session(client, people["manager"], dry)
    at = iso(started(session) + timedelta(milliseconds=1))
    bodies = [(who, qty) for who in ("counter", "manager", "admin") for qty in ("1", "2")]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(
            lambda b: put_line(client, people[b[0]], session, item_id=flour, location_id=dry, qty_on_hand=b[1],
                               counted_at=at), bodies))  # fmt: skip
    assert [r.status_code for r in results] == [200] * len(bodies)
    rows = owner.execute("select counted_qty::text from count_session_line").fetchall()
    assert len(rows) == 1 and rows[0][0] in ("1.000", "2.000")


# --- variance -----------------------------------------------------------------------------------------------------


def test_variance_is_against_the_on_hand_when_each_line_was_counted(
    client: TestClient, people: dict[str, Person], kitchen: Kitchen, owner: psycopg.Connection
) -> None:
    m, c, dry, flour, milk = people["manager"], people["counter"], kitchen["DRY"], kitchen["FLOUR"], kitchen["MILK"]
    uncosted = item(owner, "WATER", cost=None)
    for counted in (flour, milk, uncosted):
        stock(owner, counted, dry, "10", "now() - interval '1 day'")
    session = open_session(client, m, dry)
    t0 = started(session)
    # flour counted at t0+1ms (10 on the shelf); 3 used at t0+2ms, while the count went on: no variance
    put_line(
        client,
        c,
        session,
        item_id=flour,
        location_id=dry,
        qty_on_hand="10",
        counted_at=iso(t0 + timedelta(milliseconds=1)),
    )
    owner.execute(
        "insert into movement (item_id, location_id, type, qty, created_at) values"
        " (%s, %s, 'use', -3, %s), (%s, %s, 'use', -2, %s), (%s, %s, 'receive', 1, %s)",
        (flour, dry, t0 + timedelta(milliseconds=2), milk, dry, t0 + timedelta(milliseconds=2),
         milk, dry, t0 + timedelta(milliseconds=3)),
    )  # fmt: skip
    # milk counted at exactly the receipt's time: the receipt is before it (8 + 1 = 9 expected); 8.5 found
    put_line(
        client,
        c,
        session,
        item_id=milk,
        location_id=dry,
        qty_on_hand="8.5",
        counted_at=iso(t0 + timedelta(milliseconds=3)),
    )
    put_line(client, c, session, item_id=uncosted, location_id=dry, qty_on_hand="11")
    r = client.get(f"/v1/count-sessions/{session['id']}/variance", headers=m.headers)
    assert r.status_code == 200, r.text
    report = r.json()
    got = [
        (v["item_number"], v["expected"], v["counted_qty"], v["variance"], v["variance_value"]) for v in report["data"]
    ]
    assert sorted(got) == [
        ("FLOUR", "10.000", "10.000", "0.000", "0.0000000"),
        ("MILK", "9.000", "8.500", "-0.500", "-0.4950000"),
        ("WATER", "10.000", "11.000", "1.000", "0.0000000"),
    ]
    assert report["total_value"] == "-0.4950000"
    assert client.get(f"/v1/count-sessions/{session['id']}/variance", headers=c.headers).status_code == 403
    act(client, m, session, "post", {"uncounted": "keep"})
    after = client.get(f"/v1/count-sessions/{session['id']}/variance", headers=m.headers).json()
    assert after == report  # the session's own posted counts are not what it is compared with


def test_variance_of_a_session_with_nothing_counted_is_empty(
    client: TestClient, people: dict[str, Person], kitchen: Kitchen
) -> None:
    session = open_session(client, people["admin"], kitchen["DRY"])
    r = client.get(f"/v1/count-sessions/{session['id']}/variance", headers=people["admin"].headers)
    assert r.json() == {"data": [], "total_value": "0.0000000"}


# --- posting and canceling -------------------------------------------------------------------------------------


@pytest.mark.parametrize("uncounted", ["keep", "zero"])
def test_posting_turns_counted_lines_into_counts_by_their_counters(
    client: TestClient, people: dict[str, Person], kitchen: Kitchen, owner: psycopg.Connection, uncounted: str
) -> None:
    m, c, dry, flour, milk = people["manager"], people["counter"], kitchen["DRY"], kitchen["FLOUR"], kitchen["MILK"]
    stock(owner, flour, dry, "10", "now() - interval '1 day'")
    stock(owner, milk, dry, "4", "now() - interval '1 day'")
    session = open_session(client, m, dry)
    at = started(session) + timedelta(milliseconds=1)
    put_line(client, c, session, item_id=flour, location_id=dry, qty_on_hand="7", counted_at=iso(at))
    owner.execute(
        "insert into movement (item_id, location_id, type, qty, created_at) values (%s, %s, 'use', -2, %s)",
        (flour, dry, at + timedelta(milliseconds=1)),
    )  # used after it was counted: on-hand is 7 - 2
    r = act(client, m, session, "post", {"uncounted": uncounted})
    assert r.status_code == 200, r.text
    posted = r.json()
    assert posted["status"] == "posted" and posted["posted_at"] and posted["lines_counted"] == 1
    assert posted["counts_created"] == (1 if uncounted == "keep" else 2)
    counts = owner.execute(
        "select i.item_number, c.qty_on_hand::text, c.counted_by::text, c.counted_at = %s"
        " from inventory_count as c join item as i on i.id = c.item_id"
        " where c.count_session_id = %s order by 1",
        (at, session["id"]),
    ).fetchall()
    expected = [("FLOUR", "7.000", c.id, True)] + ([("MILK", "0.000", m.id, False)] if uncounted == "zero" else [])
    assert counts == expected
    stock_now = dict(owner.execute(
        "select i.item_number, s.on_hand::text from stock_level as s join item as i on i.id = s.item_id"
    ).fetchall())  # fmt: skip
    assert stock_now == {"FLOUR": "5.000", "MILK": "0.000" if uncounted == "zero" else "4.000"}
    audit = owner.execute(
        "select action, (details->>'counts')::int from audit_log where action = 'count_session.post'"
    ).fetchall()
    assert audit == [("count_session.post", posted["counts_created"])]
    again = act(client, m, session, "post", {"uncounted": uncounted})
    assert again.status_code == 409
    assert act(client, m, session, "cancel").status_code == 409
    assert client.get(f"/v1/count-sessions/{session['id']}", headers=m.headers).json()["status"] == "posted"
    reopened = open_session(client, m, dry)  # the location is free again
    assert reopened["status"] == "open"


@pytest.mark.parametrize(
    ("case", "status"),
    [("counter", 403), ("viewer", 403), ("bad uncounted", 422), ("no body", 422), ("unknown", 404), ("stale", 412)],
)
def test_a_refused_post_changes_nothing(
    client: TestClient, people: dict[str, Person], kitchen: Kitchen, owner: psycopg.Connection, case: str, status: int
) -> None:
    m = people["manager"]
    session = open_session(client, m, kitchen["DRY"])
    before = snapshot(owner)
    who, body, target, headers = m, {"uncounted": "keep"}, session, {}
    if case in ("counter", "viewer"):
        who = people[case]
    elif case == "bad uncounted":
        body = {"uncounted": "drop"}
    elif case == "no body":
        body = {}
    elif case == "unknown":
        target = {"id": "00000000-0000-4000-8000-000000000000"}
    elif case == "stale":
        headers = {"If-Match": '"not-the-etag"'}
    url = f"/v1/count-sessions/{target['id']}/post"
    r = client.post(url, json=body, headers=who.headers | headers)
    assert r.status_code == status, r.text
    assert snapshot(owner) == before


def test_canceling_ends_a_session_without_counts(
    client: TestClient, people: dict[str, Person], kitchen: Kitchen, owner: psycopg.Connection
) -> None:
    m, dry = people["manager"], kitchen["DRY"]
    stock(owner, kitchen["FLOUR"], dry, "3")
    session = open_session(client, m, dry)
    put_line(client, people["counter"], session, item_id=kitchen["FLOUR"], location_id=dry, qty_on_hand="1")
    assert act(client, people["counter"], session, "cancel").status_code == 403
    r = act(client, m, session, "cancel")
    assert r.status_code == 200 and r.json()["status"] == "canceled" and r.json()["posted_at"] is None
    assert owner.execute("select count(*) from inventory_count where count_session_id is not null").fetchone() == (0,)
    assert act(client, m, session, "cancel").status_code == 409
    assert act(client, m, session, "post", {"uncounted": "keep"}).status_code == 409
    assert owner.execute("select action from audit_log order by id desc limit 1").fetchone() == (
        "count_session.cancel",
    )


def test_a_post_racing_line_puts_posts_every_line_that_landed(
    client: TestClient, people: dict[str, Person], kitchen: Kitchen, owner: psycopg.Connection
) -> None:
    dry = kitchen["DRY"]
    items = [item(owner, f"RACE{n}") for n in range(6)]
    client.put(f"/v1/locations/{dry}/sheet", json={"items": items}, headers=people["manager"].headers)
    for attempt in range(4):
        session = open_session(client, people["manager"], dry)
        barrier = threading.Barrier(len(items) + 1)

        def record(item_id: str, barrier: threading.Barrier = barrier, session: Any = session) -> Any:
            barrier.wait()
            return put_line(client, people["counter"], session, item_id=item_id, location_id=dry, qty_on_hand="2")

        def post(barrier: threading.Barrier = barrier, session: Any = session) -> Any:
            barrier.wait()
            return act(client, people["manager"], session, "post", {"uncounted": "keep"})

        with ThreadPoolExecutor(len(items) + 1) as pool:
            puts = [pool.submit(record, item_id) for item_id in items]
            posting = pool.submit(post)
            results = [f.result() for f in puts]
            posted = posting.result()
        assert posted.status_code == 200, posted.text
        assert {r.status_code for r in results} <= {200, 409}, [r.text for r in results]
        landed = sorted(r.json()["item_id"] for r in results if r.status_code == 200)
        counted = owner.execute(
            "select item_id::text from inventory_count where count_session_id = %s order by 1", (session["id"],)
        ).fetchall()
        assert [row[0] for row in counted] == landed, attempt
        assert posted.json()["counts_created"] == len(landed)
        uncounted_after = owner.execute(
            "select count(*) from count_session_line where session_id = %s and counted_at is not null", (session["id"],)
        ).fetchone()
        assert uncounted_after == (len(landed),)  # no line changed after the post


def test_two_posts_at_once_make_one_set_of_counts(
    client: TestClient, people: dict[str, Person], kitchen: Kitchen, owner: psycopg.Connection
) -> None:
    dry, flour = kitchen["DRY"], kitchen["FLOUR"]
    stock(owner, flour, dry, "3")
    session = open_session(client, people["manager"], dry)
    put_line(client, people["counter"], session, item_id=flour, location_id=dry, qty_on_hand="2")
    barrier = threading.Barrier(2)

    def post(who: str) -> int:
        barrier.wait()
        return int(act(client, people[who], session, "post", {"uncounted": "zero"}).status_code)

    with ThreadPoolExecutor(2) as pool:
        assert sorted(pool.map(post, ("manager", "admin"))) == [200, 409]
    assert owner.execute(
        "select count(*) from inventory_count where count_session_id = %s", (session["id"],)
    ).fetchone() == (1,)
    posts = owner.execute("select count(*) from audit_log where action = 'count_session.post'").fetchone()
    assert posts == (1,)


# --- a property: any interleaving of line PUTs (backdated too), movements and a post, against a model -------

Op = tuple[str, int, int, int, str]  # (kind, item, qty, offset in ms from the session's start, who)
WHO = st.sampled_from(["counter", "manager"])
OPS = st.one_of(
    st.tuples(st.just("put"), st.integers(0, 2), st.integers(0, 20), st.integers(0, 30), WHO),
    st.tuples(st.just("move"), st.integers(0, 2), st.integers(-5, 5).filter(bool), st.integers(0, 30), st.just("")),
)  # fmt: skip
COSTS = (Decimal("1.2500"), Decimal("0.3333"), None)


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(OPS, min_size=1, max_size=14), uncounted=st.sampled_from(["keep", "zero"]))
def test_random_walks_match_a_model(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection, ops: list[Op], uncounted: str
) -> None:
    tag = uuid.uuid4().hex[:8]
    loc_row = owner.execute(
        "insert into location (code, name, temp_zone) values (%s, 'Model', 'dry') returning id", (f"M-{tag}",)
    ).fetchone()
    assert loc_row is not None
    loc = str(loc_row[0])
    items = [item(owner, f"M{tag}-{n}", cost=None if cost is None else str(cost)) for n, cost in enumerate(COSTS)]
    opening = [Decimal(5 + n) for n in range(len(items))]
    for item_id, qty in zip(items, opening, strict=True):
        stock(owner, item_id, loc, str(qty), "now() - interval '1 hour'")
    session = open_session(client, people["manager"], loc)
    t0 = started(session)
    moves: list[list[tuple[datetime, Decimal]]] = [[] for _ in items]
    line: list[tuple[datetime, Decimal, str] | None] = [None for _ in items]
    for kind, n, qty, offset, who in ops:
        at = t0 + timedelta(milliseconds=offset)
        if kind == "move":
            owner.execute(
                "insert into movement (item_id, location_id, type, qty, created_at) values (%s, %s, %s, %s, %s)",
                (items[n], loc, "receive" if qty > 0 else "use", qty, at),
            )
            moves[n].append((at, Decimal(qty)))
            continue
        r = put_line(
            client, people[who], session, item_id=items[n], location_id=loc, qty_on_hand=str(qty), counted_at=iso(at)
        )
        assert r.status_code == 200, r.text
        current = line[n]
        if current is None or current[0] <= at:  # the latest counted_at wins; an equal one is replaced
            line[n] = (at, Decimal(qty), people[who].id)
        assert Decimal(r.json()["counted_qty"]) == line[n][1]  # type: ignore[index]
    # the variance: each counted line against opening + the movements up to its counted_at (ties: before)
    report = client.get(f"/v1/count-sessions/{session['id']}/variance", headers=people["manager"].headers).json()
    want, total = {}, Decimal(0)
    for n, state in enumerate(line):
        if state is None:
            continue
        expected = opening[n] + sum((q for at, q in moves[n] if at <= state[0]), Decimal(0))
        value = (state[1] - expected) * (COSTS[n] or Decimal(0))
        want[items[n]] = (expected, state[1], state[1] - expected, value)
        total += value
    got = {
        v["item_id"]: tuple(Decimal(v[k]) for k in ("expected", "counted_qty", "variance", "variance_value"))
        for v in report["data"]
    }
    assert got == want
    assert Decimal(report["total_value"]) == total
    # the post: one count per counted line (its counter, its time), zeros at the posting time if asked
    posted = act(client, people["manager"], session, "post", {"uncounted": uncounted}).json()
    posted_at = datetime.fromisoformat(posted["posted_at"].replace("Z", "+00:00"))
    counts = owner.execute(
        "select item_id::text, qty_on_hand, counted_at, counted_by::text from inventory_count"
        " where count_session_id = %s",
        (session["id"],),
    ).fetchall()
    want_counts = {
        (items[n], state[1], state[0], state[2]) if state else (items[n], Decimal(0), posted_at, people["manager"].id)
        for n, state in enumerate(line)
        if state or uncounted == "zero"
    }
    assert set(counts) == want_counts and posted["counts_created"] == len(want_counts)
    # on-hand afterwards: the last count (the session's if any, else the opening) plus the movements after it
    for n, item_id in enumerate(items):
        state = line[n]
        base: tuple[datetime, Decimal] | None = (state[0], state[1]) if state else None
        if base is None and uncounted == "zero":
            base = (posted_at, Decimal(0))
        if base is None:
            expected = opening[n] + sum((q for _, q in moves[n]), Decimal(0))
        else:
            expected = base[1] + sum((q for at, q in moves[n] if at > base[0]), Decimal(0))
        row = owner.execute(
            "select on_hand from stock_level where item_id = %s and location_id = %s", (item_id, loc)
        ).fetchone()
        assert row == (expected,), (n, ops)


def test_the_demo_kitchen_is_mid_count(
    client: TestClient, people: dict[str, Person], owner: psycopg.Connection, database: Any
) -> None:
    from neuropilot.demo import create_demo_data

    create_demo_data(database.owner_dsn, people["admin"].email)
    wrong = owner.execute(  # stock_level equals the ledger (last count + the movements after it)
        "select count(*) from stock_level as s join inventory_count as c using (item_id, location_id)"
        " where s.on_hand <> c.qty_on_hand + coalesce((select sum(m.qty) from movement as m where m.item_id = s.item_id"
        " and m.location_id = s.location_id and m.created_at > c.counted_at), 0)"
    ).fetchone()
    assert wrong == (0,)
    sheets = owner.execute("select count(distinct location_id), count(*) from location_sheet_item").fetchone()
    assert sheets == (4, 50)
    m = people["manager"]
    (session,) = client.get("/v1/count-sessions?status=open", headers=m.headers).json()["data"]
    assert session["lines_counted"] == 4 and session["lines_total"] > 4
    walk = lines(client, m, session)["data"]
    assert [row["position"] for row in walk] == list(range(1, len(walk) + 1))
    assert all(row["location_code"] == "WALK-IN" for row in walk)
    report = client.get(f"/v1/count-sessions/{session['id']}/variance", headers=m.headers).json()
    assert len(report["data"]) == 4 and Decimal(report["total_value"]) < 0  # one line 1.5 short
    line = walk[5]
    r = put_line(
        client, people["counter"], session, item_id=line["item_id"], location_id=line["location_id"], qty_on_hand="1"
    )
    assert r.status_code == 200, r.text
