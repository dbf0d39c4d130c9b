-- name: CreateDemoData :one
-- A small kitchen for `make run` on an empty database: four storage zones, 50 items in six
-- categories, an opening count of every item in its zone, then a week of receipts and usage.
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
items as (
    insert into item (item_number, name, unit, category, min_qty, max_qty, unit_cost)
    select
        format('ITM-%%s', lpad(g::text, 4, '0')),
        format('%%s item %%s', initcap(c.category), g),
        c.unit,
        c.category,
        5 + g %% 7,
        40 + g %% 11,
        round(1.25 + (g * 37 %% 400) / 20.0, 4)
    from generate_series(1, 50) as g
    join categories as c on c.n = g %% 6
    returning id, item_number, category
),
placed as (
    select i.id as item_id, z.id as location_id, substr(i.item_number, 5)::int as g
    from items as i
    join categories as c on c.category = i.category
    join zones as z on z.code = c.code
),
counts as (
    insert into inventory_count (item_id, location_id, counted_by, qty_on_hand, counted_at)
    select item_id, location_id, %(admin_id)s, 10 + g %% 13, now() - interval '7 days'
    from placed
    returning 1
),
moves as (
    insert into movement (item_id, location_id, type, qty, note, created_by, created_at)
    select
        p.item_id,
        p.location_id,
        case when d %% 3 = 0 then 'receive' else 'use' end,
        case when d %% 3 = 0 then 12.5 + p.g %% 5 else -(0.75 + (p.g * d) %% 3) end,
        'demo data',
        %(admin_id)s,
        now() - make_interval(days => 7 - d)
    from placed as p
    cross join generate_series(1, 6) as d
    returning 1
)
select (select count(*) from counts) + (select count(*) from moves) as rows_written;
