-- 0013_suppliers: who a kitchen buys from, what each sells at which price, and purchase orders in
-- that supplier's packs (CONTRACT §12, §13).
--  * supplier.name is unique case-insensitively ("Mill & Co" and "mill & co" are one supplier).
--  * supplier_item: an item as one supplier sells it, in one of the item's packs (pack_id null = by
--    the stock unit) at price per pack. The composite foreign key (item_id, pack_id) makes "another
--    item's pack" impossible; unique nulls not distinct (PostgreSQL 15+) makes (supplier, item, no
--    pack) unique too.
--  * At most one preferred supplier item per item: a partial unique index. An inactive supplier item
--    is never preferred (check), so the index also reads "one preferred active supplier item".
--    Writers that change preferred lock the item row first (FOR NO KEY UPDATE), so two managers
--    preferring two suppliers at once take turns instead of colliding on the index.
--  * supplier_item_price is the price history, written only by the triggers below (SECURITY
--    DEFINER: the app role may read it but has no INSERT, UPDATE or DELETE grant), and append-only
--    even for the owner.
--  * purchase_order.supplier_id names a supplier (supplier then holds its name as ordered);
--    purchase_order_line.pack_id says the line counts packs of its item (composite foreign key
--    again); received_price is what the last receipt's invoice charged per the line's unit.
--  * Indexes: what the foreign keys, the lists and the suggested order filter on.

create table supplier (
    id uuid primary key default gen_random_uuid(),
    name text not null check (length(name) between 1 and 200),
    contact_email text check (length(contact_email) between 3 and 254),
    phone text check (length(phone) between 1 and 50),
    lead_time_days integer not null default 1 check (lead_time_days between 0 and 365),
    notes text check (length(notes) <= 2000),
    active boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
alter table supplier enable row level security;
create unique index uq_supplier_name on supplier (lower(name));
comment on table supplier is
'Who the kitchen buys from. name is unique case-insensitively. Never deleted (POs and price history
refer to suppliers): deactivate (active = false).';

create table supplier_item (
    id uuid primary key default gen_random_uuid(),
    supplier_id uuid not null references supplier (id) on delete restrict,
    item_id uuid not null references item (id) on delete restrict,
    pack_id uuid,
    sku text check (length(sku) between 1 and 100),
    price numeric(14, 4) not null check (price >= 0),
    preferred boolean not null default false,
    active boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint supplier_item_pack_of_item foreign key (item_id, pack_id) references item_pack (item_id, id),
    constraint uq_supplier_item unique nulls not distinct (supplier_id, item_id, pack_id),
    constraint supplier_item_preferred_is_active check (active or not preferred)
);
alter table supplier_item enable row level security;
create unique index uq_supplier_item_preferred on supplier_item (item_id) where preferred and active;
create index idx_supplier_item_item_pack on supplier_item (item_id, pack_id);
comment on table supplier_item is
'What a supplier sells: an item in one of its packs (pack_id null = by the stock unit) at price per
pack. At most one preferred (active) supplier item per item (uq_supplier_item_preferred); every price
it has had is in supplier_item_price. Never deleted: deactivate.';

create table supplier_item_price (
    id bigint generated always as identity primary key,
    supplier_item_id uuid not null references supplier_item (id) on delete restrict,
    price numeric(14, 4) not null check (price >= 0),
    valid_from timestamptz not null default now(),
    changed_by uuid references app_user (id)
);
alter table supplier_item_price enable row level security;
create index idx_supplier_item_price_item on supplier_item_price (supplier_item_id, valid_from desc, id desc);
comment on table supplier_item_price is
'Every price a supplier item has had, from its first: one row per insert and per price change of
supplier_item, written by the trigger supplier_item_price_history only (the app role cannot write
here). changed_by is the API user whose request changed it (null for the owner). Append-only.';

-- The history row of a supplier item's new price. SECURITY DEFINER so that the app role needs no
-- INSERT grant on the history: nothing but this trigger can add a row, so the history can be trusted.
create function supplier_item_record_price() returns trigger
language plpgsql security definer
set search_path = pg_catalog, public, pg_temp
as $$
begin
    insert into public.supplier_item_price (supplier_item_id, price, valid_from, changed_by)
    values (new.id, new.price, now(), public.current_app_user_id());
    return null;
end
$$;
revoke execute on function supplier_item_record_price() from public;

create trigger supplier_item_price_on_insert
after insert on supplier_item
for each row execute function supplier_item_record_price();

create trigger supplier_item_price_on_change
after update of price on supplier_item
for each row when (old.price is distinct from new.price)
execute function supplier_item_record_price();

create function supplier_item_price_refuse_change() returns trigger
language plpgsql
as $$
begin
    raise exception 'supplier_item_price is append-only: % refused', tg_op using errcode = 'insufficient_privilege';
end
$$;
create trigger supplier_item_price_append_only
before update or delete or truncate on supplier_item_price
for each statement execute function supplier_item_price_refuse_change();

alter table purchase_order add column supplier_id uuid references supplier (id) on delete restrict;
create index idx_po_supplier_time on purchase_order (supplier_id, created_at desc, id desc)
where supplier_id is not null;
comment on column purchase_order.supplier_id is
'The supplier ordered from, when the order names one; supplier then holds its name as ordered.';

alter table purchase_order_line
add column pack_id uuid,
add column received_price numeric(14, 4) check (received_price >= 0),
add constraint purchase_order_line_pack_of_item foreign key (item_id, pack_id) references item_pack (item_id, id);
create index idx_po_line_item_pack on purchase_order_line (item_id, pack_id) where pack_id is not null;
comment on column purchase_order_line.pack_id is
'Null: req_qty, received_qty and unit_price are in the item''s stock unit. Else in packs of this
pack (a receipt moves qty x pack qty stock units).';
comment on column purchase_order_line.received_price is
'What the last receipt''s invoice charged per the line''s unit (pack or stock unit), when it said.';
