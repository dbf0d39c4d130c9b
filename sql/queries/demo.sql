-- name: CreateDemoData :one
-- A small kitchen for `make run` on an empty database: four storage zones, 50 items in six
-- categories, each kept in its zone (storage_zone) and bought in packs, an opening count of every
-- item in its zone, then a week of receipts, usage and waste (with reasons); five items sit below par.
-- Runs as the schema owner; the fixed numbers make the data set the same on every machine.
with zones as (
    insert into location (code, name, temp_zone)
    values
    ('DRY-1', 'Dry store', 'dry'),
    ('WALK-IN', 'Walk-in cooler', 'cooler'),
    ('REACH-IN', 'Line reach-in', 'cooler'),
    ('FRZ-1', 'Freezer', 'freezer')
    returning id, code
),

categories (n, category, unit, code) as (
    values
    (0, 'dry goods', 'kg', 'DRY-1'),
    (1, 'produce', 'kg', 'WALK-IN'),
    (2, 'dairy', 'l', 'WALK-IN'),
    (3, 'protein', 'kg', 'FRZ-1'),
    (4, 'sauces', 'ea', 'REACH-IN'),
    (5, 'packaging', 'case', 'DRY-1')
),

zone_of (code, temp_zone) as (
    values ('DRY-1', 'dry'), ('WALK-IN', 'cooler'), ('REACH-IN', 'cooler'), ('FRZ-1', 'freezer')
),

-- Every tenth item has a par level above what the week leaves it with: the low-stock report shows it.
items as (
    insert into item (item_number, name, unit, category, min_qty, max_qty, unit_cost, storage_zone)
    select
        'ITM-' || lpad(s.g::text, 4, '0') as item_number,
        initcap(c.category) || ' item ' || s.g as name,
        c.unit,
        c.category,
        case when mod(s.g, 10) = 0 then 60 else 5 + mod(s.g, 7) end as min_qty,
        case when mod(s.g, 10) = 0 then 90 else 40 + mod(s.g, 11) end as max_qty,
        round(1.25 + mod(s.g * 37, 400) / 20.0, 4) as unit_cost,
        z.temp_zone as storage_zone
    from generate_series(1, 50) as s (g)
    inner join categories as c on c.n = mod(s.g, 6)
    inner join zone_of as z on c.code = z.code
    returning id, item_number, category, unit
),

-- A case of every item (10 kg, 6 l, 12 each), and 25 kg sacks of the dry goods.
packs as (
    insert into item_pack (item_id, name, qty)
    select i.id, 'case' as name, case i.unit when 'kg' then 10 when 'l' then 6 else 12 end as qty
    from items as i
    where i.unit <> 'case'
    union all
    select i.id, 'sack' as name, 25 as qty
    from items as i
    where i.category = 'dry goods'
    returning 1
),

placed as (
    select
        i.id as item_id,
        z.id as location_id,
        substr(i.item_number, 5)::int as g
    from items as i
    inner join categories as c on i.category = c.category
    inner join zones as z on c.code = z.code
),

counts as (
    insert into inventory_count (item_id, location_id, counted_by, qty_on_hand, counted_at)
    select
        item_id,
        location_id,
        %(admin_id)s as counted_by,
        10 + mod(g, 13) as qty_on_hand,
        now() - interval '7 days' as counted_at
    from placed
    returning 1
),

moves as (
    insert into movement (item_id, location_id, type, qty, note, created_by, created_at)
    select
        p.item_id,
        p.location_id,
        case when mod(d, 3) = 0 then 'receive' else 'use' end as type,
        case when mod(d, 3) = 0 then 12.5 + mod(p.g, 5) else -(0.75 + mod(p.g * d, 3)) end as qty,
        'demo data' as note,
        %(admin_id)s as created_by,
        now() - make_interval(days => 7 - d) as created_at
    from placed as p
    cross join generate_series(1, 6) as d
    returning 1
),

-- A week of waste: every third item loses a little on two days of the week, for a reason.
wasted as (
    insert into movement (item_id, location_id, type, qty, reason, note, created_by, created_at)
    select
        p.item_id,
        p.location_id,
        'waste' as type,
        -(0.25 + mod(p.g * d, 4) * 0.25) as qty,
        (array['spoiled', 'expired', 'damaged', 'overproduction', 'returned', 'other'])[1 + mod(p.g + d, 6)] as reason,
        'demo data' as note,
        %(admin_id)s as created_by,
        now() - make_interval(days => 7 - d, hours => 2) as created_at
    from placed as p
    cross join generate_series(1, 7) as d
    where mod(p.g, 3) = 0 and mod(p.g + d, 3) = 0
    returning 1
)

select
    (select count(*) from counts) + (select count(*) from moves) + (select count(*) from wasted)
    + (select count(*) from packs) as rows_written;
