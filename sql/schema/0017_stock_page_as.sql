-- 0017_stock_page_as: GET /v1/stock as one statement (issue 16, the stock page). It was a read-only
-- transaction of five round trips: BEGIN READ ONLY, set_config of the caller, SetReadPlanner, the
-- page, COMMIT. list_stock_as sets the caller itself (as list_items_by_category_as, 0009) and carries
-- the planner settings SetReadPlanner gave the page as its own SET clauses, which hold while it runs
-- and are undone when it returns: enable_sort off (RLS hides the row counts from the planner, which
-- would otherwise sort every joined row to find one page; with it off the plan walks idx_item_number
-- from the cursor and stops after the page), enable_nestloop on, jit off. The page's SQL is
-- ListStock's, moved here unchanged (sql/queries/stock.sql now calls this function): on-hand per
-- item x location, a keyset page ordered by (item_number, location_code), the filters optional,
-- below_min comparing the item's total over all locations with its min_qty. SECURITY INVOKER and
-- STABLE: RLS decides as before, and a write inside would fail as under BEGIN READ ONLY.

create function list_stock_as(
    p_user_id text,
    p_role text,
    p_location_id uuid,
    p_item_id uuid,
    p_category text,
    p_below_min boolean,
    p_after_number text,
    p_after_code text,
    p_limit integer
)
returns table (
    item_id uuid,
    item_number text,
    item_name text,
    unit text,
    category text,
    location_id uuid,
    location_code text,
    location_name text,
    on_hand numeric,
    last_count_at timestamptz,
    last_count_qty numeric,
    updated_at timestamptz
)
language plpgsql
stable
set enable_sort = off
set enable_nestloop = on
set jit = off
as $$
begin
    perform set_config('app.user_id', p_user_id, true), set_config('app.role', p_role, true);
    return query
    select
        s.item_id,
        i.item_number,
        i.name,
        i.unit,
        i.category,
        s.location_id,
        l.code,
        l.name,
        s.on_hand,
        s.last_count_at,
        s.last_count_qty,
        s.updated_at
    from public.item as i
    inner join public.stock_level as s on i.id = s.item_id
    inner join public.location as l on s.location_id = l.id
    where
        i.item_number >= coalesce(p_after_number, '')
        and (p_after_number is null or i.item_number > p_after_number or l.code > p_after_code)
        and (p_location_id is null or s.location_id = p_location_id)
        and (p_item_id is null or i.id = p_item_id)
        and (p_category is null or i.category = p_category)
        and (
            p_below_min is null
            or p_below_min = (
                (
                    select sum(t.on_hand)
                    from public.stock_level as t
                    where t.item_id = i.id
                ) < i.min_qty
            )
        )
    order by i.item_number, l.code
    limit p_limit;
end
$$;
comment on function list_stock_as(text, text, uuid, uuid, text, boolean, text, text, integer) is
'GET /v1/stock as one statement: sets app.user_id/app.role, then one keyset page of on-hand per item and '
'location by (item_number, location_code), with the page''s planner settings as SET clauses.';
revoke execute on function list_stock_as(text, text, uuid, uuid, text, boolean, text, text, integer) from public;
