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

-- name: RebuildDemoStockLevel :one
-- After CreateDemoData: its counts and movements arrive in one statement, where the two stock_level
-- triggers (statement-level, each reading the other's new rows) add the movements after a count twice;
-- rebuilding from the ledger puts on-hand right. Schema owner only (rebuild_stock_level()).
select rebuild_stock_level() as rows_rebuilt;

-- name: CreateDemoCounting :one
-- After CreateDemoData: a count sheet for every demo zone (its items by category, then number) and
-- the kitchen mid-count: an open session over the walk-in, started 20 minutes ago, with its first
-- four lines counted (one of them 1.5 short). Runs as the schema owner.
with sheets as (
    insert into location_sheet_item (location_id, item_id, position)
    select
        s.location_id,
        s.item_id,
        row_number() over (partition by s.location_id order by i.category, i.item_number) as position
    from stock_level as s
    inner join item as i on s.item_id = i.id
    returning location_id, item_id, position
),

opened as (
    insert into count_session (note, created_by, started_at)
    values ('Monday count: walk-in', %(admin_id)s, now() - interval '20 minutes')
    returning id, started_at
),

placed as (
    insert into count_session_location (session_id, location_id, ordinal)
    select o.id as session_id, l.id as location_id, 1 as ordinal
    from opened as o
    cross join location as l
    where l.code = 'WALK-IN'
    returning session_id, location_id
),

lines as (
    insert into count_session_line (
        session_id, location_id, item_id, seq, position, counted_qty, counted_at, counted_by
    )
    select
        p.session_id,
        p.location_id,
        sh.item_id,
        sh.position as seq,
        sh.position,
        case
            when sh.position <= 4 then greatest(st.on_hand - case when sh.position = 2 then 1.5 else 0 end, 0)
        end as counted_qty,
        case when sh.position <= 4 then o.started_at + sh.position * interval '2 minutes' end as counted_at,
        case when sh.position <= 4 then %(admin_id)s::uuid end as counted_by  -- noqa: RF02
    from placed as p
    cross join opened as o
    inner join sheets as sh on p.location_id = sh.location_id
    inner join stock_level as st on sh.item_id = st.item_id and sh.location_id = st.location_id
    returning 1
)

select (select count(*) from sheets) as sheet_rows, (select count(*) from lines) as lines;

-- name: CreateDemoSuppliers :one
-- After CreateDemoData: two suppliers selling every demo item in cases (a "case" pack per item,
-- made unless one exists), each item preferred from the supplier of its category, the other
-- supplier selling every second item loose; and a busy weekend that leaves every fifth item below
-- its minimum, so the suggested order has rows. Runs as the schema owner.
with suppliers as (
    insert into supplier (name, contact_email, phone, lead_time_days, notes)
    values
    ('Harbour Foods', 'orders@harbour-foods.example', '+44 20 7946 0101', 2, 'Dry goods, protein, packaging'),
    ('Valley Dairy & Produce', 'orders@valley.example', '+44 20 7946 0202', 1, 'Daily before 10:00')
    returning id, name
),

demo_items as (
    select
        i.id,
        i.unit_cost,
        substr(i.item_number, 5)::int as g,
        case
            when i.category in ('produce', 'dairy', 'sauces') then 'Valley Dairy & Produce' else 'Harbour Foods'
        end as preferred_name,
        case when i.unit = 'kg' then 10 else 6 end as case_qty
    from item as i
    where i.item_number like 'ITM-%%'
),

new_packs as (
    insert into item_pack (item_id, name, qty)
    select
        d.id as item_id,
        'case' as name,
        d.case_qty as qty
    from demo_items as d
    on conflict (item_id, lower(name)) do nothing
    returning id, item_id, qty
),

packs as (
    select
        n.id,
        n.item_id,
        n.qty
    from new_packs as n
    union all
    select
        p.id,
        p.item_id,
        p.qty
    from item_pack as p
    inner join demo_items as d on p.item_id = d.id
    where lower(p.name) = 'case'
),

cased as (
    insert into supplier_item (supplier_id, item_id, pack_id, sku, price, preferred)
    select
        s.id as supplier_id,
        d.id as item_id,
        p.id as pack_id,
        upper(left(s.name, 3)) || '-' || lpad(d.g::text, 4, '0') as sku,
        round(coalesce(d.unit_cost, 1) * p.qty * 0.9, 4) as price,
        true as preferred
    from demo_items as d
    inner join packs as p on d.id = p.item_id
    inner join suppliers as s on d.preferred_name = s.name
    returning 1
),

loose as (
    insert into supplier_item (supplier_id, item_id, sku, price)
    select
        s.id as supplier_id,
        d.id as item_id,
        upper(left(s.name, 3)) || '-L' || lpad(d.g::text, 4, '0') as sku,
        coalesce(d.unit_cost, 1) as price
    from demo_items as d
    inner join suppliers as s on d.preferred_name <> s.name
    where mod(d.g, 2) = 0
    returning 1
),

weekend as (
    insert into movement (item_id, location_id, type, qty, note, created_by)
    select
        s.item_id,
        s.location_id,
        'use' as type,
        -(s.on_hand - 2) as qty,
        'demo data: a busy weekend' as note,
        %(admin_id)s as created_by  -- noqa: RF02
    from stock_level as s
    inner join demo_items as d on s.item_id = d.id
    where mod(d.g, 5) = 0 and s.on_hand > 2
    returning 1
)

select (select count(*) from cased) + (select count(*) from loose) + (select count(*) from weekend) as rows_written;
