-- name: ListItems :many
-- Items by item_number with optional filters: q matches the number's start or any part of the name.
select
    id, item_number, name, unit, category, min_qty, max_qty, unit_cost, storage_zone, active, created_at, updated_at
from item
where
    item_number > %(after)s
    and (%(category)s::text is null or category = %(category)s)
    and (%(active)s::boolean is null or active = %(active)s)
    and (
        %(q)s::text is null
        or item_number ilike replace(replace(replace(%(q)s, '\', '\\'), '%%', '\%%'), '_', '\_') || '%%'
        or name ilike '%%' || replace(replace(replace(%(q)s, '\', '\\'), '%%', '\%%'), '_', '\_') || '%%'
    )
order by item_number
limit %(limit)s;

-- name: GetItem :one
-- One item.
select id, item_number, name, unit, category, min_qty, max_qty, unit_cost, storage_zone, active, created_at, updated_at
from item
where id = %(id)s;

-- name: LockItem :one
-- One item about to change, locked so If-Match compares against what will be updated.
select id, item_number, name, unit, category, min_qty, max_qty, unit_cost, storage_zone, active, created_at, updated_at
from item
where id = %(id)s
for update;

-- name: CreateItem :one
-- A new item.
insert into item (item_number, name, unit, category, min_qty, max_qty, unit_cost, storage_zone)
values (
    %(item_number)s, %(name)s, %(unit)s, %(category)s, %(min_qty)s, %(max_qty)s, %(unit_cost)s, %(storage_zone)s
)
returning id, item_number, name, unit, category, min_qty, max_qty, unit_cost, storage_zone, active, created_at, updated_at;

-- name: UpdateItem :one
-- An item's new values; the handler passes every column (unchanged ones as they were).
update item set
    item_number = %(item_number)s,
    name = %(name)s,
    unit = %(unit)s,
    category = %(category)s,
    min_qty = %(min_qty)s,
    max_qty = %(max_qty)s,
    unit_cost = %(unit_cost)s,
    storage_zone = %(storage_zone)s,
    active = %(active)s,
    updated_at = now()
where id = %(id)s
returning id, item_number, name, unit, category, min_qty, max_qty, unit_cost, storage_zone, active, created_at, updated_at;

-- name: DeleteItem :execrows
-- Removes an item without history; one with counts, movements or PO lines fails on its foreign keys.
delete from item
where id = %(id)s;

-- name: ListItemsByCategoryAs :many
-- ListItemsByCategory and the request context in one statement (see sql/schema/0009): the hot read.
select
    id, item_number, name, unit, category, min_qty, max_qty, unit_cost, storage_zone, active, created_at, updated_at
from list_items_by_category_as(%(user_id)s, %(role)s, %(category)s, %(after)s, %(limit)s);
