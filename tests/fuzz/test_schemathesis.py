"""Schemathesis against the app (in process, over ASGI, on a real migrated PostgreSQL), as every role.

Every operation of /v1/openapi.json gets generated requests, valid and invalid, under a fixed seed
and a bounded number of examples, and each response must keep the contract: no 5xx; status codes,
content types, headers and bodies as documented; invalid input refused; a missing or wrong token
refused; undocumented methods 405 with a true Allow; every error application/problem+json; and a
request the document calls valid refused only for a rule no schema can state (an unknown row, a
spent Idempotency-Key, …). Valid requests name rows that exist, so handlers get past their lookups
and success bodies are checked as well.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import msgspec
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.config import SchemathesisConfig
from schemathesis.core.transport import Response
from schemathesis.python import asgi
from starlette.types import ASGIApp, Receive, Scope, Send

from neuropilot.app import create_app
from neuropilot.openapi import document
from neuropilot.routes import ROUTES
from tests.conftest import PASSWORD, ROLES, Person, settings_for
from tests.pg import Db

# Per operation and phase; `make fuzz` raises it and picks a new seed.
MAX_EXAMPLES = int(os.environ.get("NEUROPILOT_FUZZ_EXAMPLES", "25"))
SEED = int(os.environ.get("NEUROPILOT_FUZZ_SEED", "20260126"))
ADMITTED = {(op.method, op.path): op.roles or ROLES for op in ROUTES}


def config() -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "base-url": f"http://{asgi.HOST}",  # nothing leaves the process: the schema's app is CURRENT
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "database": "none",
                "deterministic": True,
                # No NUL in strings: PostgreSQL cannot store one, and the API refuses it (422) on purpose.
                "allow-x00": False,
                # Negative cases may add query parameters the document does not declare: the API refuses
                # them (422, validation.check_query) as bodies refuse unknown fields.
                "allow-extra-parameters": True,
            },
            "phases": {"stateful": {"enabled": False}},
            # A valid request may still meet a stale If-Match (412), a rule of the data (422) or the lockout
            # after failed sign-ins (429); valid_requests_fail_only_business_rules says which 422s.
            "checks": {
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", "401", "403", "404", "409", "412", "422", "429"]
                }
            },
        }
    )


class CurrentApp:
    """The app under test, behind one object: the schema needs its app when this module is imported,
    and each operation's test starts a fresh app on a fresh database."""

    app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None, "no app: the `app` fixture starts one"
        await self.app(scope, receive, send)


CURRENT = CurrentApp()
# The app serves the document it builds from the route table at start-up; building it here as well
# gives one pytest item per operation (the `known` fixture checks the two are the same bytes).
schema = schemathesis.openapi.from_dict(msgspec.json.decode(document(ROUTES)), config=config())
schema.app = CURRENT


@dataclass(frozen=True)
class Known:
    """Rows that exist, by the path segment that names their kind."""

    ids: dict[str, list[str]]
    lines: list[str]  # of the submitted purchase order
    emails: list[str]  # of the people, whose password is PASSWORD
    refresh_token: str  # the admin's: spent by the first refresh, revoked by the first logout


@pytest.fixture
def known(database: Db, people: dict[str, Person], kitchen: dict[str, str]) -> Iterator[Known]:
    # No rate limits here: thousands of requests from one address are the point, not an abuse.
    CURRENT.app = create_app(settings_for(database, rate_limit_ip_per_min=0, rate_limit_user_per_min=0))
    try:
        with asgi.get_client(CURRENT) as client:  # starts the lifespan; schemathesis's calls reuse it
            assert client.get("/v1/openapi.json").content == document(ROUTES)
            orders = [_purchase_order(client, people["manager"], kitchen) for _ in range(2)]
            supplier, supplier_items = _supplier(client, people["manager"], kitchen)
            submitted = client.post(f"/v1/purchase-orders/{orders[1]['id']}/submit", headers=people["manager"].headers)
            assert submitted.status_code == 200
            session = client.post(
                "/v1/count-sessions", json={"location_ids": [kitchen["DRY"]]}, headers=people["manager"].headers
            )
            assert session.status_code == 201, session.text
            login = client.post("/v1/auth/login", json={"email": people["admin"].email, "password": PASSWORD})
            assert login.status_code == 200
        yield Known(
            ids={
                "items": [kitchen["FLOUR"], kitchen["MILK"]],
                "locations": [kitchen["DRY"], kitchen["COOL"]],
                "users": [person.id for person in people.values()],
                "purchase-orders": [order["id"] for order in orders],
                "suppliers": [supplier],
                "supplier-items": supplier_items,
                "count-sessions": [session.json()["id"]],
            },
            lines=[line["id"] for line in orders[1]["lines"]],
            emails=[person.email for person in people.values()],
            refresh_token=login.json()["refresh_token"],
        )
    finally:
        asgi.shutdown_lifespans()  # closes the pool before the database is dropped
        CURRENT.app = None


def _purchase_order(client: Any, manager: Person, kitchen: dict[str, str]) -> dict[str, Any]:
    lines = [{"item_id": kitchen[item], "req_qty": "10.000", "unit_price": "1.5000"} for item in ("FLOUR", "MILK")]
    r = client.post("/v1/purchase-orders", json={"supplier": "Fuzz & Co", "lines": lines}, headers=manager.headers)
    assert r.status_code == 201, r.text
    order: dict[str, Any] = r.json()
    return order


def _supplier(client: Any, manager: Person, kitchen: dict[str, str]) -> tuple[str, list[str]]:
    """A supplier selling both items (preferred), so the suggested order and its draft have rows."""
    r = client.post("/v1/suppliers", json={"name": "Fuzz Supplies"}, headers=manager.headers)
    assert r.status_code == 201, r.text
    supplier: str = r.json()["id"]
    items = []
    for item in ("FLOUR", "MILK"):
        body = {"item_id": kitchen[item], "price": "1.5000", "preferred": True}
        r = client.post(f"/v1/suppliers/{supplier}/items", json=body, headers=manager.headers)
        assert r.status_code == 201, r.text
        items.append(r.json()["id"])
    return supplier, items


def _pick(choices: list[str], seen: object) -> str:
    """One of choices, fixed by what was generated, so a failing example replays the same."""
    return choices[int.from_bytes(hashlib.sha256(repr(seen).encode()).digest()[:4], "big") % len(choices)]


def _with_known_ids(value: Any, known: Known, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _with_known_ids(v, known, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_known_ids(v, known, key) for v in value]
    kinds = {
        "item_id": "items",
        "location_id": "locations",
        "from_location_id": "locations",
        "supplier_id": "suppliers",
        "items": "items",  # a count sheet's items
        "location_ids": "locations",  # a count session's locations
    }
    if key in kinds:
        return _pick(known.ids[kinds[key]], value)
    if key == "to_location_id":
        return known.ids["locations"][1]  # from_location_id is either; a transfer to itself is a 422
    if key == "line_id":
        return _pick(known.lines, value)
    return value


def name_known_rows(case: Case, known: Known) -> None:
    """A valid case names rows that exist: the {id} of its path, the ids in its body, real credentials."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return  # an invalid case stays as generated: what it breaks is the point
    if case.operation.path == "/v1/auth/login":
        case.body = {"email": _pick(known.emails, case.body), "password": PASSWORD}
    if case.operation.path in ("/v1/auth/refresh", "/v1/auth/logout"):
        case.body = {"refresh_token": known.refresh_token}
    if case.path_parameters and "id" in case.path_parameters:
        kind = case.operation.path.split("/")[2]
        case.path_parameters["id"] = _pick(known.ids[kind], case.path_parameters["id"])
    if isinstance(case.body, dict):
        case.body = _with_known_ids(case.body, known)


def role_for(case: Case) -> str:
    """The caller of this case: one of the roles the route admits, or one it refuses; fixed by the case."""
    admitted = ADMITTED[(case.operation.method.upper(), case.operation.path)]
    candidates = [*admitted, *[role for role in ROLES if role not in admitted][:1]]
    return _pick(candidates, (case.method, case.path_parameters, case.query, case.headers, case.body))


# Why a request the document calls valid may still be refused: rules a JSON Schema cannot state.
BUSINESS_RULES = re.compile(
    "|".join(
        [
            r"^no active (item|location) with this id$",
            r"^not a cursor this API returned$",
            r"^already used with another request$",
            r"^(not your current password|required to change the password)$",
            r"^(in the future|out of range)$",
            r"^(an adjustment is not zero|a (receive|use) takes a positive amount|a transfer moves a positive amount)$",
            r"^the destination differs from the source$",
            r"^an empty purchase order cannot be submitted$",
            r"^not a line of this purchase order, or named twice$",
            r"^more than the [0-9.]+ that remain to receive$",
            r"^the order's total cost would reach [0-9,]+$",
            r"^A resulting quantity or amount would be larger than the ledger can hold\.$",
            r"^browser sign-in sends no body: the refresh token is the cookie$",
            # a count gives qty_on_hand or a breakdown in packs, exactly one, of packs of its item (§11)
            r"^give qty_on_hand or breakdown, not both$",
            r"^required \(or breakdown, a count in packs\)$",
            r"^(not a pack of this item|this pack is inactive|named twice in this breakdown)$",
            r"^the total, [0-9.]+ stock units, is (not a whole number of 0\.001 stock units"
            r"|more than a count can hold)$",
            # waste has its own route; the cold chain; a period ends after it starts (§15)
            r"^use /v1/waste: waste is posted there, with its reason$",
            r"^.+ is kept in the (dry store|cooler|freezer); .+ is a (dry|cooler|freezer) location$",
            r"^after since$",
            r"^no active (supplier|pack of this item) with this id$",
            r"^not the name of the supplier supplier_id names$",
            r"^required: the supplier's name, or supplier_id$",
            r"^[0-9.]+ packs of [0-9.]+ are not a whole number of 0\.001 stock units$",
            r"^[0-9.]+ stock units are more than one movement holds$",
            r"^an inactive supplier item cannot be preferred$",
            r"^nothing to order from this supplier$",
            # count sheets and sessions (§14)
            r"^this (item is already on the sheet|location is already in the session)$",
            r"^(before the session started|this item at this location is not a line of the session)$",
        ]
    )
)


def valid_requests_fail_only_business_rules(ctx: Any, response: Response, case: Case) -> None:
    if response.status_code != 422 or case.meta is None or not case.meta.generation.mode.is_positive:
        return
    problem = msgspec.json.decode(response.content)
    if problem.get("errors") and all("line" in error for error in problem["errors"]):
        return  # the lines and columns of an uploaded CSV file: its content is no JSON Schema's to state
    reasons = [error["message"] for error in problem.get("errors", [])] or [problem["detail"]]
    assert all(BUSINESS_RULES.search(reason) for reason in reasons), f"schema-valid request refused: {reasons}"


def errors_are_problems(ctx: Any, response: Response, case: Case) -> None:
    if response.status_code < 400 or (case.path == "/health" and response.status_code == 503):
        return
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type == "application/problem+json", f"{response.status_code} answered as {content_type!r}"


CHECKS = [errors_are_problems, valid_requests_fail_only_business_rules]


@schema.parametrize()
# One app and database per operation, shared by its examples on purpose: the state they leave builds up.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_api_keeps_its_contract(case: Case, known: Known, people: dict[str, Person]) -> None:
    name_known_rows(case, known)
    case.call_and_validate(headers=people[role_for(case)].headers, additional_checks=CHECKS)
