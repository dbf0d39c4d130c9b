-- 0015_cheaper_count_write: POST /v1/counts does less work in PostgreSQL (issue 16; measured in
-- docs/performance.md, "Session 4: writes"). Nothing a caller can observe changes: the same
-- arguments, the same rows, the same errors, the same audit row in the same transaction.
--  * current_app_user_id() (0003) is rewritten without its FROM clause, so the planner inlines it
--    into the statement that calls it (an SQL function with a FROM is executed as a nested query on
--    every call: 4 per count, each re-planned). Same result: the setting as a uuid when it is one,
--    else null.
--  * create_count_as (0011) runs its checks, the count, the audit row and the answer as ONE query
--    (data-modifying CTEs) after set_config, instead of five statements (exists item, exists
--    location, insert count, insert audit, return query). A refused item or location still writes
--    nothing and names which one (item first); the audit row's actor is the count's counted_by,
--    which the insert policy holds to the caller.

create or replace function current_app_user_id() returns uuid
language sql stable parallel safe
as $$
    select case
        when current_setting('app.user_id', true) ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
        then current_setting('app.user_id', true)::uuid
    end
$$;

create or replace function create_count_as(
    p_user_id text,
    p_role text,
    p_item_id uuid,
    p_location_id uuid,
    p_qty numeric,
    p_counted_at timestamptz,
    p_details jsonb,
    p_ip inet,
    p_user_agent text,
    p_breakdown jsonb default null
)
returns table (
    id uuid,
    item_id uuid,
    location_id uuid,
    counted_by uuid,
    qty_on_hand numeric,
    counted_at timestamptz,
    breakdown jsonb,
    refused text
)
language plpgsql
as $$
begin
    -- A statement of its own: the query below plans its policies' current_setting() after it.
    perform set_config('app.user_id', p_user_id, true), set_config('app.role', p_role, true);
    -- Data-modifying CTEs run exactly once and to completion whether or not the answer reads them;
    -- the stock_level trigger fires at the end of this statement, inside it, as before.
    return query
    with checked as (
        select
            exists (select from public.item as i where i.id = p_item_id and i.active) as item_ok,
            exists (select from public.location as l where l.id = p_location_id and l.active) as location_ok
    ),

    created as (
        insert into public.inventory_count as c (item_id, location_id, counted_by, qty_on_hand, counted_at, breakdown)
        select
            p_item_id, p_location_id, public.current_app_user_id(), p_qty, coalesce(p_counted_at, now()), p_breakdown
        from checked as k
        where k.item_ok and k.location_ok
        returning c.id, c.item_id, c.location_id, c.counted_by, c.qty_on_hand, c.counted_at, c.breakdown
    ),

    audited as (
        insert into public.audit_log (actor_id, action, entity, entity_id, details, ip, user_agent)
        select n.counted_by, 'count.create', 'inventory_count', n.id, p_details, p_ip, p_user_agent
        from created as n
    )

    select n.id, n.item_id, n.location_id, n.counted_by, n.qty_on_hand, n.counted_at, n.breakdown, null::text
    from created as n
    union all
    select
        case when k.item_ok then p_location_id else p_item_id end,
        null::uuid, null::uuid, null::uuid, null::numeric, null::timestamptz, null::jsonb,
        case when k.item_ok then 'location' else 'item' end
    from checked as k
    where not (k.item_ok and k.location_ok);
end
$$;
comment on function create_count_as(text, text, uuid, uuid, numeric, timestamptz, jsonb, inet, text, jsonb) is
'POST /v1/counts as one statement: sets app.user_id/app.role, refuses an unknown or inactive item or '
'location (refused names which), inserts the count (with its breakdown, if any) and its audit row.';
