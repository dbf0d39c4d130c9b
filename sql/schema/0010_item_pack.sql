-- 0010_item_pack: packs, the cases and bags a kitchen buys and counts in (CONTRACT §11).
--  * item.unit stays the stock unit: a pack holds qty stock units (a case of 6 × 1 kg of an item
--    kept in kg has qty 6.000). Every on-hand, count, movement and par level stays in stock units.
--  * A pack's name is unique per item, case-insensitively ("Case" and "case" are one pack).
--  * unique (item_id, id) lets other tables reference "a pack of this item" with a composite
--    foreign key, so no row can name one item and another item's pack.
--  * Packs are never deleted (counts keep their breakdown; PO lines and supplier items refer to
--    them): deactivate instead.
--  * inventory_count.breakdown keeps how a count was entered, [{"pack_id": uuid|null, "qty": "3"}, …]
--    (null pack_id = stock units), or null when it was entered in stock units; qty_on_hand is
--    always the stock-unit total.
create table item_pack (
    id uuid primary key default gen_random_uuid(),
    item_id uuid not null references item (id) on delete restrict,
    name text not null check (length(name) between 1 and 30),
    qty numeric(14, 3) not null check (qty > 0),
    active boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint uq_item_pack_item_id unique (item_id, id)
);
alter table item_pack enable row level security;
create unique index uq_item_pack_name on item_pack (item_id, lower(name));
comment on table item_pack is
'Packs of an item (case, bag): qty stock units each. Never deleted; deactivate (active = false).';

alter table inventory_count add column breakdown jsonb
constraint inventory_count_breakdown_is_array check (breakdown is null or jsonb_typeof(breakdown) = 'array');
comment on column inventory_count.breakdown is
'How the count was entered: [{"pack_id": uuid or null, "qty": "3"}, …]; qty_on_hand = Σ qty × pack qty.';
