-- 0011_waste_cold_chain: waste, cold-chain zones and count breakdowns (CONTRACT §11, §15).
--  * movement.type gains 'waste' (stored negated, like a use) and movement.reason, which a waste
--    row must have and no other row may (movement_reason_for_waste).
--  * item.storage_zone (dry, cooler, freezer; null = anywhere). A receive movement, or the incoming
--    row of a transfer, at a location of another temp_zone is refused by the API (naming the field)
--    and, as a backstop a DBA can rely on, by the trigger movement_cold_chain. Counts, uses, waste
--    and adjustments are never refused: they record what is there.
--  * create_count_as (0009) also stores a count's breakdown and returns it; list_items_by_category_as
--    returns storage_zone. Both stay one statement; p_breakdown comes last with a default, so a call
--    written for 0009 (nine arguments) still works.

alter table movement drop constraint movement_type_check;
alter table movement add constraint movement_type_check
check (type in ('receive', 'use', 'adjust', 'transfer', 'waste'));
alter table movement drop constraint movement_qty_sign;
alter table movement add constraint movement_qty_sign check (
    (type = 'receive' and qty > 0)
    or (type in ('use', 'waste') and qty < 0)
    or (type in ('adjust', 'transfer') and qty <> 0)
);
alter table movement add column reason text
constraint movement_reason_values check (
    reason in ('spoiled', 'expired', 'damaged', 'overproduction', 'returned', 'other')
);
alter table movement add constraint movement_reason_for_waste check ((type = 'waste') = (reason is not null));
comment on column movement.reason is
'Why stock was wasted (spoiled, expired, damaged, overproduction, returned, other); set on waste rows only.';

alter table item add column storage_zone text
constraint item_storage_zone_values check (storage_zone in ('dry', 'cooler', 'freezer'));
comment on column item.storage_zone is
'Where the item must be kept (a location temp_zone), or null for anywhere. Receipts and transfers into a
location of another zone are refused (trigger movement_cold_chain); counts and waste are not.';

-- The cold-chain rule: the first incoming row of the statement at a location whose temp_zone is not
-- the item's storage_zone refuses the statement (check_violation, constraint movement_cold_chain).
-- SECURITY DEFINER so it sees every item and location whatever the caller's role.
create function movement_cold_chain() returns trigger
language plpgsql volatile security definer
set search_path = pg_catalog, public, pg_temp
as $$
declare
    bad record;
begin
    select i.name, i.storage_zone, l.code, l.temp_zone into bad
    from new_rows as n
    inner join public.item as i on n.item_id = i.id
    inner join public.location as l on n.location_id = l.id
    where
        (n.type = 'receive' or (n.type = 'transfer' and n.qty > 0))
        and i.storage_zone is not null
        and i.storage_zone <> l.temp_zone
    limit 1;
    if found then
        raise exception using
            errcode = 'check_violation',
            constraint = 'movement_cold_chain',
            message = pg_catalog.format(
                '%s is kept in the %s; %s is a %s location', bad.name,
                case bad.storage_zone when 'dry' then 'dry store' else bad.storage_zone end, bad.code, bad.temp_zone
            );
    end if;
    return null;
end
$$;
revoke execute on function movement_cold_chain() from public;

create trigger movement_cold_chain
after insert on movement
referencing new table as new_rows
for each statement execute function movement_cold_chain();

-- 0009's functions, with the columns added since (storage_zone; breakdown).
drop function list_items_by_category_as(text, text, text, text, integer);
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
    storage_zone text,
    active boolean,
    created_at timestamptz,
    updated_at timestamptz
)
language plpgsql
stable  -- read-only: any write inside would fail, as under BEGIN READ ONLY
as $$
begin
    perform set_config('app.user_id', p_user_id, true), set_config('app.role', p_role, true);
    return query
    select
        i.id, i.item_number, i.name, i.unit, i.category, i.min_qty, i.max_qty, i.unit_cost, i.storage_zone,
        i.active, i.created_at, i.updated_at
    from public.item as i
    where i.category = p_category and i.item_number > p_after
    order by i.item_number
    limit p_limit;
end
$$;
comment on function list_items_by_category_as(text, text, text, text, integer) is
'GET /v1/items?category= as one statement: sets app.user_id/app.role, then lists the category''s items.';
revoke execute on function list_items_by_category_as(text, text, text, text, integer) from public;

drop function create_count_as(text, text, uuid, uuid, numeric, timestamptz, jsonb, inet, text);
create function create_count_as(
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
declare
    created public.inventory_count;
begin
    perform set_config('app.user_id', p_user_id, true), set_config('app.role', p_role, true);
    -- An unknown or inactive item or location (as the caller sees them) refuses the count: one row
    -- naming it (refused = 'item' or 'location') and nothing written.
    if not exists (select from public.item as i where i.id = p_item_id and i.active) then
        return query select
            p_item_id, null::uuid, null::uuid, null::uuid, null::numeric, null::timestamptz, null::jsonb, 'item';
        return;
    end if;
    if not exists (select from public.location as l where l.id = p_location_id and l.active) then
        return query select
            p_location_id, null::uuid, null::uuid, null::uuid, null::numeric, null::timestamptz, null::jsonb, 'location';
        return;
    end if;
    insert into public.inventory_count as c (item_id, location_id, counted_by, qty_on_hand, counted_at, breakdown)
    values (
        p_item_id, p_location_id, public.current_app_user_id(), p_qty, coalesce(p_counted_at, now()), p_breakdown
    )
    returning c.* into created;
    insert into public.audit_log (actor_id, action, entity, entity_id, details, ip, user_agent)
    values (
        public.current_app_user_id(), 'count.create', 'inventory_count', created.id, p_details, p_ip, p_user_agent
    );
    return query select
        created.id, created.item_id, created.location_id, created.counted_by, created.qty_on_hand,
        created.counted_at, created.breakdown, null::text;
end
$$;
comment on function create_count_as(text, text, uuid, uuid, numeric, timestamptz, jsonb, inet, text, jsonb) is
'POST /v1/counts as one statement: sets app.user_id/app.role, refuses an unknown or inactive item or '
'location (refused names which), inserts the count (with its breakdown, if any) and its audit row.';
revoke execute on function create_count_as(
    text, text, uuid, uuid, numeric, timestamptz, jsonb, inet, text, jsonb
) from public;

-- The waste report reads waste rows of a period; they are few, so a partial index finds them
-- without walking every movement of the period.
create index idx_movement_waste_time on movement (created_at) include (item_id, qty, reason) where type = 'waste';

-- The usage report (sql/queries/usage.sql) reads every movement after `since` by time, and for
-- each location counted since then the last count before `since`: both become index-only scans
-- when the indexes carry the columns read. They replace 0006's and 0007's indexes on the same keys,
-- so every other reader (the movement list, the stock triggers, the variance report) is served as
-- before. New names and "if exists": a database migrated without 0006 (tests/sql) still migrates.
drop index if exists idx_movement_time;
create index idx_movement_time_covering on movement (created_at, id) include (item_id, location_id, type, qty);
drop index if exists idx_inventory_count_item_location_time;
create index idx_inventory_count_item_location_time_qty on inventory_count (item_id, location_id, counted_at, id)
include (qty_on_hand);
