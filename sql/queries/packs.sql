-- name: FindPacks :many
-- The packs a breakdown names (packs.py checks each belongs to the counted item and is active).
select id, item_id, qty, active
from item_pack
where id = any(%(ids)s::uuid[]);

-- name: ListItemPacks :many
-- One item's packs (inactive ones too), newest first; keyset on (created_at, id).
select id, item_id, name, qty, active, created_at, updated_at
from item_pack
where
    item_id = %(item_id)s
    and (%(before_at)s::timestamptz is null or (created_at, id) < (%(before_at)s, %(before_id)s::uuid))
order by created_at desc, id desc
limit %(limit)s;

-- name: ListItemPackSummaries :many
-- The packs GET /v1/items/{id} shows, smallest first (the order a counter reads a shelf in).
select id, name, qty, active
from item_pack
where item_id = %(item_id)s
order by qty, lower(name), id;

-- name: GetItemPack :one
-- One pack of one item (a pack of another item is not found).
select id, item_id, name, qty, active, created_at, updated_at
from item_pack
where id = %(id)s and item_id = %(item_id)s;

-- name: LockItemPack :one
-- One pack of one item about to change, locked so If-Match compares against what will be updated.
select id, item_id, name, qty, active, created_at, updated_at
from item_pack
where id = %(id)s and item_id = %(item_id)s
for update;

-- name: CreateItemPack :one
-- A new pack of an existing item; no row when the item does not exist or already has a pack of
-- that name (any case): the handler tells which.
insert into item_pack (item_id, name, qty)
select i.id, %(name)s, %(qty)s
from item as i
where i.id = %(item_id)s
on conflict (item_id, lower(name)) do nothing
returning id, item_id, name, qty, active, created_at, updated_at;

-- name: UpdateItemPack :one
-- A pack's new values; the handler passes every column (unchanged ones as they were).
update item_pack set
    name = %(name)s,
    qty = %(qty)s,
    active = %(active)s,
    updated_at = now()
where id = %(id)s and item_id = %(item_id)s
returning id, item_id, name, qty, active, created_at, updated_at;

-- name: ItemExists :one
-- Whether an item exists (a 404 for its sub-resources otherwise).
select exists(
    select from item
    where id = %(id)s
) as found;
