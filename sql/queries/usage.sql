-- noqa: disable=RF02
-- (sqlfluff's placeholder templater turns %(name)s into a bare name, which RF02 takes for an
-- unqualified column.)

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
-- after t (one scan of the movements after since, aggregated per pair). Only a pair counted after t
-- needs its history: its last count at or before t plus the movements between that count and t, or
-- (never counted by then) all its movements up to t; each is a scalar sub-select, run for those
-- pairs only. Every pair is visited once (stock_level hashed against the period's movements) and
-- summed per item once (docs/performance.md, "Session 4").
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

-- One row per pair with a stock_level row or a movement in the period (a full join: a movement's
-- pair always has a stock_level row, but the report does not depend on it). The history branch's
-- count is an inner row of its own sub-select, so both bounds of the movement scan are index
-- conditions of idx_movement_item_location_time, however long the pair's history.
pairs as (
    select
        coalesce(s.item_id, l.item_id) as item_id,
        case
            when s.last_count_at > %(since)s  -- noqa: RF02
                then coalesce(
                    (
                        select
                            c.qty_on_hand + coalesce((
                                select sum(m.qty) from movement as m
                                where
                                    m.item_id = s.item_id
                                    and m.location_id = s.location_id
                                    and m.created_at > c.counted_at
                                    and m.created_at <= %(since)s
                            ), 0)
                        from (
                            select k.qty_on_hand, k.counted_at from inventory_count as k
                            where k.item_id = s.item_id and k.location_id = s.location_id and k.counted_at <= %(since)s
                            order by k.counted_at desc, k.id desc
                            limit 1
                        ) as c
                    ),
                    (
                        select coalesce(sum(m.qty), 0) from movement as m
                        where m.item_id = s.item_id and m.location_id = s.location_id and m.created_at <= %(since)s
                    )
                )
            else coalesce(s.on_hand, 0) - coalesce(l.after_since, 0)
        end as opening,
        case
            when s.last_count_at > %(until)s  -- noqa: RF02
                then coalesce(
                    (
                        select
                            c.qty_on_hand + coalesce((
                                select sum(m.qty) from movement as m
                                where
                                    m.item_id = s.item_id
                                    and m.location_id = s.location_id
                                    and m.created_at > c.counted_at
                                    and m.created_at <= %(until)s
                            ), 0)
                        from (
                            select k.qty_on_hand, k.counted_at from inventory_count as k
                            where k.item_id = s.item_id and k.location_id = s.location_id and k.counted_at <= %(until)s
                            order by k.counted_at desc, k.id desc
                            limit 1
                        ) as c
                    ),
                    (
                        select coalesce(sum(m.qty), 0) from movement as m
                        where m.item_id = s.item_id and m.location_id = s.location_id and m.created_at <= %(until)s
                    )
                )
            else coalesce(s.on_hand, 0) - coalesce(l.after_until, 0)
        end as closing,
        coalesce(l.received, 0) as received,
        coalesce(l.used, 0) as used,
        coalesce(l.wasted, 0) as wasted,
        coalesce(l.adjusted, 0) as adjusted,
        coalesce(l.moves, 0) as moves
    from stock_level as s
    full join later as l on s.item_id = l.item_id and s.location_id = l.location_id
),

-- Materialized: otherwise the report's filter (opening <> 0 or …) is pushed into this aggregate as a
-- second copy of sum(opening), whose history sub-selects then run twice per pair.
per_item as materialized (
    select
        p.item_id,
        sum(p.opening) as opening,
        sum(p.closing) as closing,
        sum(p.received) as received,
        sum(p.used) as used,
        sum(p.wasted) as wasted,
        sum(p.adjusted) as adjusted,
        sum(p.moves) as moves
    from pairs as p
    group by p.item_id
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
