-- name: ListUsage :many
-- Per item, over all locations: on-hand as of since (opening) and as of until (closing) by the
-- ledger rule of sql/schema/0006 (the last count at or before the time, by counted_at then id, plus
-- the movements after it up to the time; a movement at exactly a count's counted_at is before it),
-- and the receive, use, waste and adjust movements in (since, until]. Items with no stock at either
-- end and no movement in the period are left out. Transfers are in opening and closing but have no
-- column: an item's two transfer rows share one created_at, so they cancel out within the period.
--
-- How, without reading the whole ledger: stock_level holds each pair's on-hand now and its last
-- count. When that count is at or before a time t, on-hand as of t is on_hand minus what moved
-- after t (one scan of the movements after since). Only a pair counted after t needs its history:
-- its last count at or before t and the movements between that count and t (two index probes).
with later as (
    select
        m.item_id,
        m.location_id,
        sum(m.qty) as after_since,
        coalesce(sum(m.qty) filter (where m.created_at > %(until)s), 0) as after_until,
        coalesce(sum(m.qty) filter (where m.type = 'receive' and m.created_at <= %(until)s), 0) as received,
        coalesce(sum(-m.qty) filter (where m.type = 'use' and m.created_at <= %(until)s), 0) as used,
        coalesce(sum(-m.qty) filter (where m.type = 'waste' and m.created_at <= %(until)s), 0) as wasted,
        coalesce(sum(m.qty) filter (where m.type = 'adjust' and m.created_at <= %(until)s), 0) as adjusted,
        count(*) filter (where m.created_at <= %(until)s) as moves
    from movement as m
    where m.created_at > %(since)s
    group by m.item_id, m.location_id
),

-- Pairs counted after since: on-hand as of since from the last count at or before it (c1) and the
-- movements between the two (d1); likewise as of until (c2, d2) for pairs counted after until.
history as (
    select
        s.item_id,
        s.location_id,
        s.on_hand,
        coalesce(c1.qty_on_hand, 0) + coalesce(d1.qty, 0) as opening,
        -- a parameter, not a column (sqlfluff reads %(until)s as one):
        case
            when s.last_count_at > %(until)s then coalesce(c2.qty_on_hand, 0) + coalesce(d2.qty, 0)  -- noqa: RF02
        end as closing
    from stock_level as s
    left join lateral (
        select k.qty_on_hand, k.counted_at from inventory_count as k
        where k.item_id = s.item_id and k.location_id = s.location_id and k.counted_at <= %(since)s
        order by k.counted_at desc, k.id desc
        limit 1
    ) as c1 on true
    left join lateral (
        select sum(m.qty) as qty from movement as m
        where
            m.item_id = s.item_id
            and m.location_id = s.location_id
            and m.created_at > coalesce(c1.counted_at, '-infinity')
            and m.created_at <= %(since)s
    ) as d1 on true
    left join lateral (
        select k.qty_on_hand, k.counted_at from inventory_count as k
        where
            s.last_count_at > %(until)s
            and k.item_id = s.item_id
            and k.location_id = s.location_id
            and k.counted_at <= %(until)s
        order by k.counted_at desc, k.id desc
        limit 1
    ) as c2 on true
    left join lateral (
        select sum(m.qty) as qty from movement as m
        where
            s.last_count_at > %(until)s
            and m.item_id = s.item_id
            and m.location_id = s.location_id
            and m.created_at > coalesce(c2.counted_at, '-infinity')
            and m.created_at <= %(until)s
    ) as d2 on true
    where s.last_count_at > %(since)s  -- noqa: RF02
),

-- Per item: on-hand now less what moved after since (after until), corrected for the pairs whose
-- history was needed; every join below is per item (10k rows), not per location (120k).
now_held as (
    select s.item_id, sum(s.on_hand) as on_hand
    from stock_level as s
    group by s.item_id
),

moved as (
    select
        l.item_id,
        sum(l.after_since) as after_since,
        sum(l.after_until) as after_until,
        sum(l.received) as received,
        sum(l.used) as used,
        sum(l.wasted) as wasted,
        sum(l.adjusted) as adjusted,
        sum(l.moves) as moves
    from later as l
    group by l.item_id
),

corrected as (
    select
        h.item_id,
        sum(h.opening - (h.on_hand - coalesce(l.after_since, 0))) as opening,
        coalesce(sum(h.closing - (h.on_hand - coalesce(l.after_until, 0))), 0) as closing
    from history as h
    left join later as l on h.item_id = l.item_id and h.location_id = l.location_id
    group by h.item_id
),

per_item as (
    select
        n.item_id,
        n.on_hand - coalesce(d.after_since, 0) + coalesce(c.opening, 0) as opening,
        n.on_hand - coalesce(d.after_until, 0) + coalesce(c.closing, 0) as closing,
        coalesce(d.received, 0) as received,
        coalesce(d.used, 0) as used,
        coalesce(d.wasted, 0) as wasted,
        coalesce(d.adjusted, 0) as adjusted,
        coalesce(d.moves, 0) as moves
    from now_held as n
    left join moved as d on n.item_id = d.item_id
    left join corrected as c on n.item_id = c.item_id
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

-- name: SetReportPlanner :exec
-- Settings for the rest of the usage report's read-only transaction (set_config(…, true) ends with it):
-- its hash aggregates over the period's movements need more than the default 4 MB of work_mem, or they
-- spill to disk (twice as slow, docs/performance.md); JIT off as in SetReadPlanner (RLS inflates costs).
select
    set_config('work_mem', '64MB', true) as work_mem,
    set_config('jit', 'off', true) as jit;
