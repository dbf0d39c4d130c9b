-- name: LockItemsByNumber :many
-- The existing items a CSV import names, locked until it commits: a concurrent PATCH waits and
-- then sees the import's values (If-Match tells its client so).
select id, item_number, name, unit, category, min_qty, max_qty, unit_cost, storage_zone, active
from item
where item_number = any(%(numbers)s::text[])
order by item_number
for update;

-- name: UpsertItems :many
-- An import's new and changed items as one statement (unchanged ones are not sent). created: the row
-- was inserted (xmax = 0), not updated in place.
insert into item (item_number, name, unit, category, min_qty, max_qty, unit_cost, storage_zone, active)
select i.item_number, i.name, i.unit, i.category, i.min_qty, i.max_qty, i.unit_cost, i.storage_zone, i.active
from
    unnest(
        %(item_numbers)s::text[], %(names)s::text[], %(units)s::text[], %(categories)s::text[],
        %(min_qtys)s::numeric[], %(max_qtys)s::numeric[], %(unit_costs)s::numeric[], %(storage_zones)s::text[],
        %(actives)s::boolean[]
    ) as i (item_number, name, unit, category, min_qty, max_qty, unit_cost, storage_zone, active)
on conflict (item_number) do update
    set
        name = excluded.name,
        unit = excluded.unit,
        category = excluded.category,
        min_qty = excluded.min_qty,
        max_qty = excluded.max_qty,
        unit_cost = excluded.unit_cost,
        storage_zone = excluded.storage_zone,
        active = excluded.active,
        updated_at = now()
returning item_number, (xmax = 0) as created;

-- name: LockSupplierForImport :one
-- The supplier a price list is for (FOR KEY SHARE: its supplier items are being written).
select id, name
from supplier
where id = %(id)s
for key share;

-- name: LockItemsForPriceList :many
-- The items a price list names, locked FOR NO KEY UPDATE as every change of a preferred supplier
-- item locks its item first (see LockItemForPreferred), so an import and a PATCH take turns.
select id, item_number, active
from item
where item_number = any(%(numbers)s::text[])
order by id
for no key update;

-- name: FindPacksByName :many
-- The packs a price list names, each (item, name) pair of the file matched as the unique index
-- does (lower(name)); n is the pair's position in the arrays.
select f.n, p.id, p.name, p.qty, p.active
from unnest(%(item_ids)s::uuid[], %(names)s::text[]) with ordinality as f (item_id, name, n)
inner join item_pack as p on f.item_id = p.item_id and lower(f.name) = lower(p.name);

-- name: LockSupplierItemsOfItems :many
-- What the supplier already sells of these items, locked.
select id, item_id, pack_id, sku, price, preferred, active
from supplier_item
where supplier_id = %(supplier_id)s and item_id = any(%(item_ids)s::uuid[])
for update;

-- name: CreatePacks :many
-- The packs a price list names that its items did not have yet.
insert into item_pack (item_id, name, qty)
select p.item_id, p.name, p.qty
from unnest(%(item_ids)s::uuid[], %(names)s::text[], %(qtys)s::numeric[]) as p (item_id, name, qty)
returning id, item_id, name;

-- name: UnpreferForPriceList :exec
-- Items a price list makes preferred stop preferring any other supplier item (the ids in keep are
-- the price list's own rows, which it writes next).
update supplier_item set preferred = false, updated_at = now()
where item_id = any(%(item_ids)s::uuid[]) and preferred and id <> all(%(keep)s::uuid[]);

-- name: UpsertSupplierItems :many
-- A price list's new and changed rows as one statement; a new or changed price adds a history row
-- (supplier_item_price, by trigger). A row the list names is active again. created: inserted.
insert into supplier_item (supplier_id, item_id, pack_id, sku, price, preferred, active)
select %(supplier_id)s::uuid as supplier_id, s.item_id, s.pack_id, s.sku, s.price, s.preferred, true as active
from
    unnest(
        %(item_ids)s::uuid[], %(pack_ids)s::uuid[], %(skus)s::text[], %(prices)s::numeric[], %(preferreds)s::boolean[]
    ) as s (item_id, pack_id, sku, price, preferred)
on conflict on constraint uq_supplier_item do update
    set
        sku = excluded.sku,
        price = excluded.price,
        preferred = excluded.preferred,
        active = true,
        updated_at = now()
returning id, item_id, pack_id, (xmax = 0) as created;
