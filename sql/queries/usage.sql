-- name: ListUsage :many
-- Per item, over all locations: on-hand as of since (opening) and as of until (closing) by the
-- ledger rule of sql/schema/0006 (the last count at or before the time, by counted_at then id, plus
-- the movements after it up to the time; a movement at exactly a count's counted_at is before it),
-- and the receive, use, waste and adjust movements in (since, until]. Items with no stock at either
-- end and no movement in the period are left out. Transfers are in opening and closing but have no
-- column: an item's two transfer rows share one created_at, so they cancel out within the period.
with before_since as (
    select distinct on (c.item_id, c.location_id) c.item_id, c.location_id, c.counted_at, c.qty_on_hand
    from inventory_count as c
    where c.counted_at <= %(since)s
    order by c.item_id desc, c.location_id desc, c.counted_at desc, c.id desc
),

before_until as (
    select distinct on (c.item_id, c.location_id) c.item_id, c.location_id, c.counted_at, c.qty_on_hand
    from inventory_count as c
    where c.counted_at <= %(until)s
    order by c.item_id desc, c.location_id desc, c.counted_at desc, c.id desc
),

-- Only the movements after the pair's count before since matter (a count replaces what came before).
moved as (
    select
        m.item_id,
        m.location_id,
        coalesce(sum(m.qty) filter (where m.created_at <= %(since)s), 0) as to_since,
        coalesce(sum(m.qty) filter (where u.counted_at is null or m.created_at > u.counted_at), 0) as to_until,
        coalesce(sum(m.qty) filter (where m.type = 'receive' and m.created_at > %(since)s), 0) as received,
        coalesce(sum(-m.qty) filter (where m.type = 'use' and m.created_at > %(since)s), 0) as used,
        coalesce(sum(-m.qty) filter (where m.type = 'waste' and m.created_at > %(since)s), 0) as wasted,
        coalesce(sum(m.qty) filter (where m.type = 'adjust' and m.created_at > %(since)s), 0) as adjusted,
        count(*) filter (where m.created_at > %(since)s) as moves
    from movement as m
    left join before_since as s on m.item_id = s.item_id and m.location_id = s.location_id
    left join before_until as u on m.item_id = u.item_id and m.location_id = u.location_id
    where m.created_at <= %(until)s and (s.counted_at is null or m.created_at > s.counted_at)
    group by m.item_id, m.location_id
),

per_item as (
    select
        coalesce(u.item_id, d.item_id) as item_id,
        sum(coalesce(s.qty_on_hand, 0) + coalesce(d.to_since, 0)) as opening,
        sum(coalesce(u.qty_on_hand, 0) + coalesce(d.to_until, 0)) as closing,
        coalesce(sum(d.received), 0) as received,
        coalesce(sum(d.used), 0) as used,
        coalesce(sum(d.wasted), 0) as wasted,
        coalesce(sum(d.adjusted), 0) as adjusted,
        coalesce(sum(d.moves), 0) as moves
    from before_until as u
    full join moved as d on u.item_id = d.item_id and u.location_id = d.location_id
    left join before_since as s on coalesce(u.item_id, d.item_id) = s.item_id
        and coalesce(u.location_id, d.location_id) = s.location_id
    group by coalesce(u.item_id, d.item_id)
)

select
    i.id as item_id,
    i.item_number,
    i.name as item_name,
    i.unit,
    i.category,
    round(p.opening, 3) as opening,
    round(p.received, 3) as received,
    round(p.used, 3) as used,
    round(p.wasted, 3) as wasted,
    round(p.adjusted, 3) as adjusted,
    round(p.closing, 3) as closing,
    round(p.opening + p.received - p.closing, 3) as consumption,
    i.unit_cost,
    round((p.opening + p.received - p.closing) * i.unit_cost, 7)::text as consumption_value,
    round(p.received * i.unit_cost, 7)::text as received_value
from per_item as p
inner join item as i on p.item_id = i.id
where p.opening <> 0 or p.closing <> 0 or p.moves > 0
order by i.item_number;
