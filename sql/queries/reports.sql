-- noqa: disable=RF02
-- (sqlfluff's placeholder templater turns %(name)s into a bare name, which RF02 takes for an
-- unqualified column.)

-- name: ListLowStock :many
-- Active items whose total on-hand over all locations (0 without any stock row) is below min_qty,
-- with what to order to reach max_qty (never negative); a keyset page at a time by item_number.
select
    i.id as item_id,
    i.item_number,
    i.name as item_name,
    i.unit,
    i.category,
    t.on_hand,
    i.min_qty,
    i.max_qty,
    greatest(i.max_qty - t.on_hand, 0.000) as reorder_qty
from item as i
inner join lateral (
    select coalesce(sum(s.on_hand), 0.000) as on_hand
    from stock_level as s
    where s.item_id = i.id
) as t on true
where
    i.active
    and t.on_hand < i.min_qty
    and i.item_number > coalesce(%(after_number)s::text, '')
order by i.item_number
limit %(limit)s;

-- name: ListValuationByCategory :many
-- The sum of on_hand * unit_cost per item category, then the grand total (is_total); a null
-- unit_cost is valued at 0 and counted in uncosted_items (items holding stock without a cost).
-- Values are exact numerics sent as text, because a product of scales 3 and 4 can be as small as
-- 1E-7, which a Decimal would print in E notation. Stock is summed per item first (one pass over
-- stock_level), so the rest works on one row per item.
with valued as (
    select
        i.category,
        t.on_hand * coalesce(i.unit_cost, 0) as value,
        i.unit_cost is null and t.holds_stock as uncosted
    from (
        select s.item_id, sum(s.on_hand) as on_hand, bool_or(s.on_hand <> 0) as holds_stock
        from stock_level as s
        group by s.item_id
    ) as t
    inner join item as i on t.item_id = i.id
)

select
    false as is_total,
    v.category,
    sum(v.value)::text as value,
    count(*) as items,
    count(*) filter (where v.uncosted) as uncosted_items
from valued as v
group by v.category
union all
select
    true as is_total,
    null as category,
    coalesce(sum(v.value), 0)::text as value,
    count(*) as items,
    count(*) filter (where v.uncosted) as uncosted_items
from valued as v
order by is_total, category nulls last;

-- name: ListValuationByLocation :many
-- The sum of on_hand * unit_cost per location, then the grand total (is_total), where items counts
-- each item once however many locations hold it; otherwise as ListValuationByCategory.
with valued as (
    select
        s.location_id,
        s.item_id,
        s.on_hand * coalesce(i.unit_cost, 0) as value,
        i.unit_cost is null and s.on_hand <> 0 as uncosted
    from stock_level as s
    inner join item as i on s.item_id = i.id
),

per_location as (
    select
        v.location_id,
        sum(v.value) as value,
        count(*) as items,
        count(*) filter (where v.uncosted) as uncosted_items
    from valued as v
    group by v.location_id
),

per_item as (
    select bool_or(v.uncosted) as uncosted
    from valued as v
    group by v.item_id
)

select
    false as is_total,
    l.id as location_id,
    l.code as location_code,
    l.name as location_name,
    p.value::text as value,
    p.items,
    p.uncosted_items
from per_location as p
inner join location as l on p.location_id = l.id
union all
select
    true as is_total,
    null as location_id,
    null as location_code,
    null as location_name,
    (select coalesce(sum(p.value), 0) from per_location as p)::text as value,
    count(*) as items,
    count(*) filter (where pi.uncosted) as uncosted_items
from per_item as pi
order by is_total, location_code;

-- name: ListVariance :many
-- Each count since a time against the on-hand expected just before it: the previous count of that
-- item and location (by counted_at, then id; 0 without one) plus the movements after it up to and
-- including this counted_at (a movement at a count's exact time is before that count). Keyset by
-- (counted_at, count_id). variance_value is null when the item has no unit_cost.
with page as (
    select
        c.id,
        c.item_id,
        c.location_id,
        c.counted_at,
        c.qty_on_hand,
        coalesce(prev.qty_on_hand, 0.000) + coalesce((
            select sum(m.qty)
            from movement as m
            where
                m.item_id = c.item_id
                and m.location_id = c.location_id
                and m.created_at <= c.counted_at
                and (prev.counted_at is null or m.created_at > prev.counted_at)
        ), 0.000) as expected_qty
    from inventory_count as c
    left join lateral (
        select p.counted_at, p.qty_on_hand
        from inventory_count as p
        where
            p.item_id = c.item_id
            and p.location_id = c.location_id
            and (p.counted_at, p.id) < (c.counted_at, c.id)
        order by p.counted_at desc, p.id desc
        limit 1
    ) as prev on true
    where
        c.counted_at >= %(since)s
        and (c.counted_at, c.id) > (
            coalesce(%(after_at)s::timestamptz, '-infinity'),
            coalesce(%(after_id)s::uuid, '00000000-0000-0000-0000-000000000000')
        )
    order by c.counted_at, c.id
    limit %(limit)s
)

select
    c.id as count_id,
    c.item_id,
    i.item_number,
    i.name as item_name,
    c.location_id,
    l.code as location_code,
    c.counted_at,
    c.qty_on_hand as counted_qty,
    c.expected_qty,
    c.qty_on_hand - c.expected_qty as variance,
    ((c.qty_on_hand - c.expected_qty) * i.unit_cost)::text as variance_value
from page as c
inner join item as i on c.item_id = i.id
inner join location as l on c.location_id = l.id
order by c.counted_at, c.id;
