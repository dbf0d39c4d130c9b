-- The two hottest requests as one statement each (issue 7, docs/performance.md).
--
-- A request normally costs BEGIN, SetRequestContext, its queries and COMMIT: four to six round
-- trips, and each one costs the Python worker more CPU than PostgreSQL spends on the SQL. These
-- functions take the caller's id and role, set them transaction-locally exactly as
-- SetRequestContext does, and then run the request's SQL, so the API calls them as a single
-- prepared statement on an autocommit connection: one round trip, one implicit transaction, and
-- the context ends with it (nothing survives into the next user of the connection; PgBouncer in
-- transaction mode is fine).
--
-- SECURITY INVOKER (the default): every statement inside runs as the app role, under the same RLS
-- policies as the plain queries. Setting app.user_id and app.role grants nothing the app role
-- could not already do with set_config, so these functions open no new door.
-- statement_timeout: a setting changed inside a statement does not bound that statement, so on
-- this path the timeout is the connection's own (the API connects with it); see db.py.

create function list_items_by_category_as(
    p_user_id text, p_role text, p_category text, p_after text, p_limit integer
)
returns table (
    id uuid,
    item_number text,
    name text,
    unit text,
    category text,
    min_qty numeric,
    max_qty numeric,
    unit_cost numeric,
    active boolean,
    created_at timestamptz,
    updated_at timestamptz
)
language plpgsql
stable  -- read-only: any write inside would fail, as under BEGIN READ ONLY
as $$
begin
    perform set_config('app.user_id', p_user_id, true), set_config('app.role', p_role, true);
    -- The same SQL as sql/queries/items.sql ListItemsByCategory.
    return query
    select
        i.id, i.item_number, i.name, i.unit, i.category, i.min_qty, i.max_qty, i.unit_cost, i.active,
        i.created_at, i.updated_at
    from public.item as i
    where i.category = p_category and i.item_number > p_after
    order by i.item_number
    limit p_limit;
end
$$;
comment on function list_items_by_category_as(text, text, text, text, integer) is
'GET /v1/items?category= as one statement: sets app.user_id/app.role, then ListItemsByCategory.';

create function create_count_as(
    p_user_id text,
    p_role text,
    p_item_id uuid,
    p_location_id uuid,
    p_qty numeric,
    p_counted_at timestamptz,
    p_details jsonb,
    p_ip inet,
    p_user_agent text
)
returns table (
    id uuid,
    item_id uuid,
    location_id uuid,
    counted_by uuid,
    qty_on_hand numeric,
    counted_at timestamptz,
    refused text
)
language plpgsql
as $$
declare
    created public.inventory_count;
begin
    perform set_config('app.user_id', p_user_id, true), set_config('app.role', p_role, true);
    -- An unknown or inactive item or location (as the caller sees them) refuses the count: one row
    -- naming it (refused = 'item' or 'location') and nothing written.
    if not exists (select from public.item as i where i.id = p_item_id and i.active) then
        return query select p_item_id, null::uuid, null::uuid, null::uuid, null::numeric, null::timestamptz, 'item';
        return;
    end if;
    if not exists (select from public.location as l where l.id = p_location_id and l.active) then
        return query
        select p_location_id, null::uuid, null::uuid, null::uuid, null::numeric, null::timestamptz, 'location';
        return;
    end if;
    insert into public.inventory_count as c (item_id, location_id, counted_by, qty_on_hand, counted_at)
    values (p_item_id, p_location_id, public.current_app_user_id(), p_qty, coalesce(p_counted_at, now()))
    returning c.* into created;
    insert into public.audit_log (actor_id, action, entity, entity_id, details, ip, user_agent)
    values (
        public.current_app_user_id(), 'count.create', 'inventory_count', created.id, p_details, p_ip, p_user_agent
    );
    return query select
        created.id, created.item_id, created.location_id, created.counted_by, created.qty_on_hand,
        created.counted_at, null::text;
end
$$;
comment on function create_count_as(text, text, uuid, uuid, numeric, timestamptz, jsonb, inet, text) is
'POST /v1/counts as one statement: sets app.user_id/app.role, refuses an unknown or inactive item or '
'location (refused names which), inserts the count and its audit row.';

revoke execute on function list_items_by_category_as(text, text, text, text, integer) from public;
revoke execute on function create_count_as(text, text, uuid, uuid, numeric, timestamptz, jsonb, inet, text) from public;
