-- noqa: disable=RF02
-- (sqlfluff's placeholder templater turns %(name)s into a bare name, which RF02 takes for an
-- unqualified column.)

-- name: ListStock :many
-- On-hand per item × location (pairs with a stock_level row), a keyset page at a time ordered by
-- (item_number, location_code), both unique, so the pair is a total order, as the caller, in one
-- statement: the page's SQL is in list_stock_as (sql/schema/0017_stock_page_as.sql), which sets the
-- request context and SetReadPlanner's page settings itself. Filters are optional; below_min compares
-- the item's total over all locations with its min_qty. The plan walks idx_item_number from the
-- cursor and stops after one page, so a page costs the same at any depth and any ledger size.
select
    item_id,
    item_number,
    item_name,
    unit,
    category,
    location_id,
    location_code,
    location_name,
    on_hand,
    last_count_at,
    last_count_qty,
    updated_at
from
    list_stock_as(
        %(user_id)s, %(role)s, %(location_id)s, %(item_id)s, %(category)s, %(below_min)s, %(after_number)s,
        %(after_code)s, %(limit)s
    );

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
