-- 0001_core_tables: the eight tables of the design document, with RLS enabled on each.
--
-- Deviations from the design document, each on purpose:
--  * History is never destroyed: counts, movements and purchase-order lines reference items and
--    locations with ON DELETE RESTRICT (the document cascaded, which would erase history).
--    Rows are deactivated instead (`active`), so users and items gain an `active` flag.
--  * Columns a row cannot mean anything without are NOT NULL (item_id, location_id, order_id).
--  * Quantities and money get range checks; movement.qty is a signed delta (see comment below).
--  * idx_item_category covers (category, item_number): the item list filters on category and
--    pages by item_number, so one index serves both. The unique constraint on item_number is the
--    document's idx_item_number (a second, identical index would only slow writes).
-- Policies and grants live in sql/policies/, one file per table.

create extension if not exists citext;

create table app_user (
    id uuid primary key default gen_random_uuid(),
    email citext not null unique,
    display_name text not null check (length(display_name) between 1 and 200),
    role text not null check (role in ('admin', 'manager', 'counter', 'viewer')),
    password_hash text not null,
    active boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
alter table app_user enable row level security;
comment on table app_user is
'People who use the API. password_hash is an argon2id PHC string; it is read only by the
login function auth_user_for_login(), never returned by the API.';

create table location (
    id uuid primary key default gen_random_uuid(),
    code text not null unique check (length(code) between 1 and 50),
    name text not null check (length(name) between 1 and 200),
    temp_zone text not null check (temp_zone in ('dry', 'cooler', 'freezer')),
    active boolean not null default true,
    created_at timestamptz not null default now()
);
alter table location enable row level security;
comment on table location is 'Storage zones. Deactivate (active = false) rather than delete once used.';

create table item (
    id uuid primary key default gen_random_uuid(),
    item_number text not null constraint idx_item_number unique check (length(item_number) between 1 and 50),
    name text not null check (length(name) between 1 and 200),
    unit text not null check (length(unit) between 1 and 20),
    category text check (length(category) <= 100),
    min_qty numeric(12, 3) not null default 0 check (min_qty >= 0),
    max_qty numeric(12, 3) not null default 0 check (max_qty >= 0),
    unit_cost numeric(14, 4) check (unit_cost >= 0),
    active boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
alter table item enable row level security;
create index idx_item_category on item (category, item_number);
comment on table item is 'Products with par levels (min_qty/max_qty) and unit cost.';

create table inventory_count (
    id uuid primary key default gen_random_uuid(),
    item_id uuid not null references item (id) on delete restrict,
    location_id uuid not null references location (id) on delete restrict,
    counted_by uuid references app_user (id),
    qty_on_hand numeric(14, 3) not null check (qty_on_hand >= 0),
    counted_at timestamptz not null default now()
);
alter table inventory_count enable row level security;
create index idx_inventory_count_item_time on inventory_count (item_id, counted_at desc);
create index idx_inventory_count_location on inventory_count (location_id);
comment on table inventory_count is
'Physical counts. A count sets on-hand of (item, location) as of counted_at; later movements add to it.';

create table movement (
    id uuid primary key default gen_random_uuid(),
    item_id uuid not null references item (id) on delete restrict,
    location_id uuid not null references location (id) on delete restrict,
    type text not null check (type in ('receive', 'use', 'adjust', 'transfer')),
    qty numeric(14, 3) not null,
    note text check (length(note) <= 1000),
    reference text check (length(reference) <= 100),
    created_by uuid references app_user (id),
    created_at timestamptz not null default now(),
    constraint movement_qty_sign check (
        (type = 'receive' and qty > 0)
        or (type = 'use' and qty < 0)
        or (type in ('adjust', 'transfer') and qty <> 0)
    )
);
alter table movement enable row level security;
create index idx_movement_item_time on movement (item_id, created_at desc);
create index idx_movement_type on movement (type);
comment on table movement is
'Stock ledger. qty is the signed change to on-hand at location_id, so on-hand is a plain sum:
receive > 0, use < 0 (the API takes a positive amount used and stores it negated), adjust is
signed and non-zero, and a transfer is two rows, negative at the source and positive at the
destination.';
comment on column movement.qty is 'Signed delta to on-hand at location_id; sum(qty) is the net change.';

create table purchase_order (
    id uuid primary key default gen_random_uuid(),
    po_number text not null unique check (length(po_number) between 1 and 50),
    supplier text not null check (length(supplier) between 1 and 200),
    status text not null default 'draft' check (status in ('draft', 'submitted', 'received', 'canceled')),
    total_cost numeric(14, 4) check (total_cost >= 0),
    notes text check (length(notes) <= 2000),
    created_by uuid references app_user (id),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
alter table purchase_order enable row level security;
create index idx_po_status_time on purchase_order (status, created_at desc);

create table purchase_order_line (
    id uuid primary key default gen_random_uuid(),
    order_id uuid not null references purchase_order (id) on delete cascade,
    item_id uuid not null references item (id) on delete restrict,
    req_qty numeric(14, 3) not null check (req_qty > 0),
    unit_price numeric(14, 4) check (unit_price >= 0),
    received_qty numeric(14, 3) not null default 0,
    note text check (length(note) <= 1000),
    -- Over-receipt is impossible even for two concurrent receipts: the second update fails here.
    constraint purchase_order_line_received_range check (received_qty between 0 and req_qty)
);
alter table purchase_order_line enable row level security;
create index idx_po_line_order on purchase_order_line (order_id);

create table audit_log (
    id bigserial primary key,
    actor_id uuid references app_user (id),
    action text not null,
    entity text not null,
    entity_id uuid,
    details jsonb,
    ip inet,
    user_agent text,
    created_at timestamptz not null default now()
);
alter table audit_log enable row level security;
create index idx_audit_log_entity on audit_log (entity, entity_id, created_at desc);
create index idx_audit_log_actor on audit_log (actor_id, created_at desc);
comment on table audit_log is
'Append-only record of every write and every admin read of users or audit. Written in the same
transaction as the change it records. details never holds passwords or tokens.';
