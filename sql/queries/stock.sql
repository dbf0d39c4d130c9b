-- noqa: disable=RF02
-- (sqlfluff's placeholder templater turns %(name)s into a bare name, which RF02 takes for an
-- unqualified column.)

-- name: ListStock :many
-- On-hand per item × location (pairs with a stock_level row), a keyset page at a time ordered by
-- (item_number, location_code), both unique, so the pair is a total order. Filters are optional;
-- below_min compares the item's total over all locations with its min_qty. Run after
-- SetReadPlanner, the plan walks idx_item_number from the cursor and stops after one page (an
-- incremental sort orders each item's few locations), so a page costs the same at any depth and
-- any ledger size. The keyset bound is written as item_number >= coalesce(…) so that it is an
-- index condition in a generic (prepared) plan too.
select
    s.item_id,
    i.item_number,
    i.name as item_name,
    i.unit,
    i.category,
    s.location_id,
    l.code as location_code,
    l.name as location_name,
    s.on_hand,
    s.last_count_at,
    s.last_count_qty,
    s.updated_at
from item as i
inner join stock_level as s on i.id = s.item_id
inner join location as l on s.location_id = l.id
where
    i.item_number >= coalesce(%(after_number)s::text, '')
    and (%(after_number)s::text is null or i.item_number > %(after_number)s or l.code > %(after_code)s::text)
    and (%(location_id)s::uuid is null or s.location_id = %(location_id)s)
    and (%(item_id)s::uuid is null or i.id = %(item_id)s)
    and (%(category)s::text is null or i.category = %(category)s)
    and (
        %(below_min)s::boolean is null
        or %(below_min)s = (
            (
                select sum(t.on_hand)
                from stock_level as t
                where t.item_id = i.id
            ) < i.min_qty
        )
    )
order by i.item_number, l.code
limit %(limit)s;

-- name: SetReadPlanner :exec
-- Planner settings for the rest of this read-only transaction (set_config(…, true) ends with it).
-- Row-level security filters every table with a per-statement sub-select, whose selectivity the
-- planner cannot know, so it estimates a few hundred rows where there are 120k. Trusting that, it
-- would sort all joined rows to find one page (enable_sort off makes it walk idx_item_number and
-- stop after the page), join the whole of stock_level by nested loop for valuation (enable_nestloop
-- off makes that a hash join), and JIT-compile the correlated below_min sum, whose inflated cost
-- crosses jit_above_cost: ~150 ms of compiling for a query that runs in 2 ms.
select
    set_config('enable_sort', %(enable_sort)s, true) as enable_sort,
    set_config('enable_nestloop', %(enable_nestloop)s, true) as enable_nestloop,
    set_config('jit', 'off', true) as jit;
