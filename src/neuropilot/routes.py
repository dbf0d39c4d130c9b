"""The route table: every operation the API serves, as data.

Each row names the method, the path, the handler and the roles it admits (None = public), and the
types and statuses the OpenAPI document (openapi.py) is built from. app.py turns the rows into
Starlette routes behind the guard, which answers 401/403 before the handler runs; RLS enforces the
same rules again inside PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from neuropilot import (
    audit,
    auth,
    catalog,
    console,
    docs,
    ledger,
    openapi,
    ordering,
    packs,
    probes,
    purchasing,
    stock,
    suppliers,
    usage,
    users,
    waste,
)
from neuropilot.auth import Endpoint
from neuropilot.counting import lines as count_lines
from neuropilot.counting import sessions as count_sessions
from neuropilot.counting import sheets
from neuropilot.counting.models import (
    CountSession,
    CountSessionCreate,
    CountSessionLine,
    CountSessionPost,
    PostedCountSession,
    SessionVariance,
    Sheet,
    SheetReplace,
)
from neuropilot.counting.models import LineRecord as CountLineRecord
from neuropilot.health import health
from neuropilot.kitchen_models import UsageReport, WasteCreate, WasteReport
from neuropilot.metrics import metrics_endpoint
from neuropilot.models import (
    AuditEntry,
    CategoryValuation,
    Count,
    CountBatch,
    CountCreate,
    Item,
    ItemCreate,
    ItemUpdate,
    Location,
    LocationCreate,
    LocationUpdate,
    LocationValuation,
    LoginRequest,
    LowStockItem,
    MeUpdate,
    Movement,
    MovementCreate,
    RefreshRequest,
    StockLevel,
    TokenPair,
    Transfer,
    TransferCreate,
    User,
    UserCreate,
    UserUpdate,
    Variance,
)
from neuropilot.openapi import Batch, Health, Live, Page, Ready
from neuropilot.pack_models import ItemWithPacks, Pack, PackCreate, PackUpdate
from neuropilot.params import (
    ACTIVE,
    ACTOR_ID,
    BELOW_MIN,
    CATEGORY,
    DRY_RUN,
    ENTITY,
    ENTITY_ID,
    GROUP_BY,
    ITEM_ID,
    LOCATION_ID,
    MOVEMENT_TYPE,
    PAGE,
    PO_STATUS,
    SEARCH,
    SESSION_STATUS,
    SINCE,
    SUPPLIER,
    SUPPLIER_ID,
    SUPPLIER_SEARCH,
    VARIANCE_SINCE,
    Param,
)
from neuropilot.purchasing_models import (
    PurchaseOrder,
    PurchaseOrderCreate,
    PurchaseOrderSummary,
    PurchaseOrderUpdate,
    Receipt,
)
from neuropilot.spreadsheets import items as item_import
from neuropilot.spreadsheets import reader
from neuropilot.spreadsheets import supplier_items as supplier_import
from neuropilot.spreadsheets.models import ItemImport, SupplierItemImport
from neuropilot.supplier_models import (
    FromSuggestion,
    SuggestedOrderLine,
    Supplier,
    SupplierCreate,
    SupplierItem,
    SupplierItemCreate,
    SupplierItemPrice,
    SupplierItemUpdate,
    SupplierUpdate,
)
from neuropilot.usage import PERIOD
from neuropilot.waste import WASTE_QUERY

EVERYONE = ("admin", "manager", "counter", "viewer")
MANAGERS = ("admin", "manager")
COUNTERS = ("admin", "manager", "counter")
ADMIN = ("admin",)


@dataclass(frozen=True)
class Op:
    """A row of the route table: the route, who may call it, and what the OpenAPI document says of it.

    body and response are the msgspec types the handler reads and returns (a str response is a text
    media type); problems lists the error statuses the route's shape does not already imply (openapi.py);
    csv opts a list or report into the CSV export. A str body is a media type too (text/csv)."""

    method: str
    path: str
    endpoint: Endpoint
    roles: tuple[str, ...] | None
    body: type | str | None = None  # a str: the media type of a file body (text/csv)
    response: Any = None
    status: int = 200
    summary: str = ""
    query: tuple[Param, ...] = ()
    problems: tuple[int, ...] = ()
    csv: bool = False  # also answers text/csv (every record) when Accept prefers it: spreadsheets/export.py
    max_body: int | None = None  # a body limit above security.MAX_BODY_BYTES (the CSV imports)


# fmt: off
ROUTES: list[Op] = [
    Op("GET", "/health", health, None, None, Health, summary="Is the API up, and does the database answer?"),
    Op("GET", "/live", probes.live, None, None, Live, summary="Liveness: the process serves requests"),
    Op("GET", "/ready", probes.ready, None, None, Ready,
       summary="Readiness: the database answers and its schema is this code's"),
    Op("GET", "/metrics", metrics_endpoint, None, None, "text/plain", summary="Prometheus metrics", problems=(401,)),
    Op("GET", "/v1/openapi.json", openapi.openapi_json, None, None, dict[str, Any], summary="This OpenAPI document"),
    Op("GET", "/docs", docs.docs_page, None, None, "text/html", summary="The API reference page"),
    Op("GET", "/", console.index, None, None, "text/html", summary="The web console", problems=(503,)),
    Op("POST", "/v1/auth/login", auth.login, None, LoginRequest, TokenPair, summary="Sign in", problems=(401,)),
    Op("POST", "/v1/auth/refresh", auth.refresh, None, RefreshRequest, TokenPair,
       summary="Swap a refresh token for a new pair", problems=(401,)),
    Op("POST", "/v1/auth/logout", auth.logout, EVERYONE, RefreshRequest, status=204, summary="Sign out"),
    Op("GET", "/v1/me", auth.get_me, EVERYONE, None, User, summary="Your profile"),
    Op("PATCH", "/v1/me", auth.update_me, EVERYONE, MeUpdate, User, summary="Change your name or password"),
    Op("GET", "/v1/users", users.list_users, ADMIN, None, Page[User], summary="List users", query=PAGE, csv=True),
    Op("POST", "/v1/users", users.create_user_route, ADMIN, UserCreate, User, 201, "Create a user", problems=(409,)),
    Op("GET", "/v1/users/{id}", users.get_user, ADMIN, None, User, summary="Get a user"),
    Op("PATCH", "/v1/users/{id}", users.update_user, ADMIN, UserUpdate, User, summary="Change a user", problems=(409,)),
    Op("GET", "/v1/items", catalog.list_items, EVERYONE, None, Page[Item], summary="List items",
       query=(*PAGE, CATEGORY, SEARCH, ACTIVE), csv=True),
    Op("POST", "/v1/items", catalog.create_item, MANAGERS, ItemCreate, Item, 201, "Create an item", problems=(409,)),
    Op("POST", "/v1/items/import", item_import.import_items, MANAGERS, "text/csv", ItemImport,
       summary="Create and update items from a CSV file", query=(DRY_RUN,), max_body=reader.MAX_BYTES),
    Op("GET", "/v1/items/{id}", catalog.get_item, EVERYONE, None, ItemWithPacks, summary="Get an item and its packs"),
    Op("PATCH", "/v1/items/{id}", catalog.update_item, MANAGERS, ItemUpdate, Item, summary="Change an item",
       problems=(409,)),
    Op("DELETE", "/v1/items/{id}", catalog.delete_item, MANAGERS, status=204, summary="Delete an item without history",
       problems=(409,)),
    Op("GET", "/v1/items/{id}/packs", packs.list_packs, EVERYONE, None, Page[Pack], summary="List an item's packs",
       query=PAGE, csv=True),
    Op("POST", "/v1/items/{id}/packs", packs.create_pack, MANAGERS, PackCreate, Pack, 201, "Add a pack to an item",
       problems=(409,)),
    Op("GET", "/v1/items/{id}/packs/{pack_id}", packs.get_pack, EVERYONE, None, Pack, summary="Get a pack"),
    Op("PATCH", "/v1/items/{id}/packs/{pack_id}", packs.update_pack, MANAGERS, PackUpdate, Pack,
       summary="Change a pack", problems=(409,)),
    Op("GET", "/v1/locations", catalog.list_locations, EVERYONE, None, Page[Location], summary="List locations",
       query=(*PAGE, ACTIVE), csv=True),
    Op("POST", "/v1/locations", catalog.create_location, MANAGERS, LocationCreate, Location, 201, "Create a location",
       problems=(409,)),
    Op("GET", "/v1/locations/{id}", catalog.get_location, EVERYONE, None, Location, summary="Get a location"),
    Op("PATCH", "/v1/locations/{id}", catalog.update_location, MANAGERS, LocationUpdate, Location,
       summary="Change a location", problems=(409,)),
    Op("GET", "/v1/locations/{id}/sheet", sheets.get_location_sheet, EVERYONE, None, Sheet,
       summary="A location's count sheet, in shelf order"),
    Op("PUT", "/v1/locations/{id}/sheet", sheets.replace_location_sheet, MANAGERS, SheetReplace, Sheet,
       summary="Replace a location's count sheet"),
    Op("GET", "/v1/count-sessions", count_sessions.list_count_sessions, COUNTERS, None, Page[CountSession],
       summary="List count sessions", query=(*PAGE, SESSION_STATUS), csv=True),
    Op("POST", "/v1/count-sessions", count_sessions.open_count_session, MANAGERS, CountSessionCreate, CountSession, 201,
       "Open a count session over some locations", problems=(409,)),
    Op("GET", "/v1/count-sessions/{id}", count_sessions.get_count_session, COUNTERS, None, CountSession,
       summary="Get a count session"),
    Op("GET", "/v1/count-sessions/{id}/lines", count_lines.list_session_lines, COUNTERS, None, Page[CountSessionLine],
       summary="The lines to count, in walking order", query=(*PAGE, LOCATION_ID)),
    Op("PUT", "/v1/count-sessions/{id}/lines", count_lines.record_session_line, COUNTERS, CountLineRecord,
       CountSessionLine, summary="Record (or replace) the count of a line", problems=(409,)),
    Op("GET", "/v1/count-sessions/{id}/variance", count_lines.session_variance, MANAGERS, None, SessionVariance,
       summary="Counted lines against what was expected when they were counted"),
    Op("POST", "/v1/count-sessions/{id}/post", count_sessions.post_count_session, MANAGERS, CountSessionPost,
       PostedCountSession, summary="Post a session: its lines become counts", problems=(409,)),
    Op("POST", "/v1/count-sessions/{id}/cancel", count_sessions.cancel_count_session, MANAGERS, None, CountSession,
       summary="Cancel a session", problems=(409,)),
    Op("GET", "/v1/counts", ledger.list_counts, EVERYONE, None, Page[Count], summary="List counts",
       query=(*PAGE, ITEM_ID, LOCATION_ID, SINCE), csv=True),
    Op("POST", "/v1/counts", ledger.create_count, COUNTERS, CountCreate, Count, 201, "Post a count"),
    Op("POST", "/v1/counts/batch", ledger.create_count_batch, COUNTERS, CountBatch, Batch[Count], 201,
       "Post up to 500 counts, all or nothing"),
    Op("GET", "/v1/movements", ledger.list_movements, EVERYONE, None, Page[Movement], summary="List movements",
       query=(*PAGE, ITEM_ID, LOCATION_ID, MOVEMENT_TYPE, SINCE), csv=True),
    Op("POST", "/v1/movements", ledger.create_movement, MANAGERS, MovementCreate, Movement, 201, "Post a movement"),
    Op("POST", "/v1/transfers", ledger.create_transfer, MANAGERS, TransferCreate, Transfer, 201,
       "Move stock between locations"),
    Op("POST", "/v1/waste", waste.create_waste, COUNTERS, WasteCreate, Movement, 201, "Record waste, with its reason"),
    Op("GET", "/v1/stock", stock.list_stock, EVERYONE, None, Page[StockLevel], summary="Stock on hand",
       query=(*PAGE, LOCATION_ID, ITEM_ID, CATEGORY, BELOW_MIN), csv=True),
    Op("GET", "/v1/reports/low-stock", stock.low_stock, ("admin", "manager", "viewer"), None, Page[LowStockItem],
       summary="Items below their minimum", query=PAGE, csv=True),
    Op("GET", "/v1/reports/suggested-order", ordering.suggested_order, MANAGERS, None, Batch[SuggestedOrderLine],
       summary="What to order to bring stock back to par", query=(SUPPLIER_ID,), csv=True),
    Op("GET", "/v1/reports/valuation", stock.valuation, MANAGERS, None, CategoryValuation | LocationValuation,
       summary="Stock value", query=(GROUP_BY,), csv=True),
    Op("GET", "/v1/reports/variance", stock.variance, MANAGERS, None, Page[Variance], summary="Count variances",
       query=(*PAGE, VARIANCE_SINCE), csv=True),
    Op("GET", "/v1/reports/usage", usage.usage, MANAGERS, None, UsageReport, summary="Usage over a period",
       query=PERIOD, csv=True),
    Op("GET", "/v1/reports/waste", waste.waste_report, MANAGERS, None, WasteReport, summary="Waste over a period",
       query=WASTE_QUERY, csv=True),
    Op("GET", "/v1/purchase-orders", purchasing.list_purchase_orders, MANAGERS, None, Page[PurchaseOrderSummary],
       summary="List purchase orders", query=(*PAGE, PO_STATUS, SUPPLIER, SUPPLIER_ID), csv=True),
    Op("POST", "/v1/purchase-orders", purchasing.create_purchase_order, MANAGERS, PurchaseOrderCreate, PurchaseOrder,
       201, "Create a draft purchase order", problems=(409,)),
    Op("POST", "/v1/purchase-orders/from-suggestion", ordering.create_from_suggestion, MANAGERS, FromSuggestion,
       PurchaseOrder, 201, "Draft one supplier's part of the suggested order", problems=(409,)),
    Op("GET", "/v1/purchase-orders/{id}", purchasing.get_purchase_order, MANAGERS, None, PurchaseOrder,
       summary="Get a purchase order"),
    Op("PATCH", "/v1/purchase-orders/{id}", purchasing.update_purchase_order, MANAGERS, PurchaseOrderUpdate,
       PurchaseOrder, summary="Change a draft", problems=(409,)),
    Op("POST", "/v1/purchase-orders/{id}/submit", purchasing.submit_purchase_order, MANAGERS, None, PurchaseOrder,
       summary="Submit a draft", problems=(409, 422)),
    Op("POST", "/v1/purchase-orders/{id}/cancel", purchasing.cancel_purchase_order, MANAGERS, None, PurchaseOrder,
       summary="Cancel an order", problems=(409,)),
    Op("POST", "/v1/purchase-orders/{id}/receive", purchasing.receive_purchase_order, MANAGERS, Receipt, PurchaseOrder,
       summary="Receive goods into a location", problems=(409,)),
    Op("GET", "/v1/suppliers", suppliers.list_suppliers, MANAGERS, None, Page[Supplier], summary="List suppliers",
       query=(*PAGE, ACTIVE, SUPPLIER_SEARCH), csv=True),
    Op("POST", "/v1/suppliers", suppliers.create_supplier, MANAGERS, SupplierCreate, Supplier, 201,
       "Create a supplier", problems=(409,)),
    Op("GET", "/v1/suppliers/{id}", suppliers.get_supplier, MANAGERS, None, Supplier, summary="Get a supplier"),
    Op("PATCH", "/v1/suppliers/{id}", suppliers.update_supplier, MANAGERS, SupplierUpdate, Supplier,
       summary="Change a supplier", problems=(409,)),
    Op("GET", "/v1/suppliers/{id}/items", suppliers.list_supplier_items, MANAGERS, None, Page[SupplierItem],
       summary="What a supplier sells", query=(*PAGE, ACTIVE), csv=True),
    Op("POST", "/v1/suppliers/{id}/items", suppliers.create_supplier_item, MANAGERS, SupplierItemCreate, SupplierItem,
       201, "Add an item a supplier sells", problems=(409,)),
    Op("POST", "/v1/suppliers/{id}/items/import", supplier_import.import_supplier_items, MANAGERS, "text/csv",
       SupplierItemImport, summary="Create and update what a supplier sells from its price list (CSV)",
       query=(DRY_RUN,), max_body=reader.MAX_BYTES),
    Op("GET", "/v1/supplier-items/{id}", suppliers.get_supplier_item, MANAGERS, None, SupplierItem,
       summary="Get a supplier item"),
    Op("PATCH", "/v1/supplier-items/{id}", suppliers.update_supplier_item, MANAGERS, SupplierItemUpdate, SupplierItem,
       summary="Change a supplier item's sku, price, preferred or active"),
    Op("GET", "/v1/supplier-items/{id}/prices", suppliers.list_supplier_item_prices, MANAGERS, None,
       Page[SupplierItemPrice], summary="A supplier item's price history, newest first", query=PAGE, csv=True),
    Op("GET", "/v1/audit", audit.list_audit, ADMIN, None, Page[AuditEntry], summary="Read the audit trail",
       query=(*PAGE, ENTITY, ENTITY_ID, ACTOR_ID, SINCE), csv=True),
]
# fmt: on
