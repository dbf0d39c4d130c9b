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
