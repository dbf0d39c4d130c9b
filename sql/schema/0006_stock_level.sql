-- 0006_stock_level: on-hand per (item, location), derived from the ledger and kept in step with it
-- by triggers in the same transaction as each count and movement (as ERPNext's Bin), so reading
-- stock costs the same at 10k or 10M movements.
--
-- The rule (CONTRACT §5): on-hand = the last count at that location (latest counted_at) + the sum of
-- movement.qty there with created_at > that count's counted_at; with no count, the sum of all its
-- movements. Ties, decided once here and used by the triggers, the rebuild and the reports alike:
--  * a movement whose created_at equals the count's counted_at is BEFORE the count (not added);
--    so a count and a movement written in one transaction (both at now()) leave the count standing;
--  * two counts of one (item, location) at the very same counted_at: the one with the greater id wins.
-- The triggers are correct under READ COMMITTED (the API's level) for any interleaving, because every
-- writer locks its stock_level rows before it reads anything that depends on them; see the functions.

-- Locks out writers until commit, so the backfill below sees the whole ledger and misses nothing.
lock table inventory_count, movement in share row exclusive mode;

create table stock_level (
    item_id uuid not null references item (id) on delete restrict,
    location_id uuid not null references location (id) on delete restrict,
    on_hand numeric(14, 3) not null,
    last_count_at timestamptz,
    last_count_qty numeric(14, 3),
    last_count_id uuid,
    updated_at timestamptz not null default now(),
    primary key (item_id, location_id),
    constraint stock_level_count_all_or_none check (
        (last_count_at is null) = (last_count_qty is null) and (last_count_at is null) = (last_count_id is null)
    )
);
alter table stock_level enable row level security;
-- Deleting a location checks this table's foreign key (ON DELETE RESTRICT); item_id leads the primary key.
create index idx_stock_level_location on stock_level (location_id);
comment on table stock_level is
'DERIVED, never edit by hand: on-hand per (item, location) = last count + movements after it.
Written only by the triggers stock_level_after_count (inventory_count) and stock_level_after_movement
(movement), in the transaction of the statement that changed it; the app role may only read it.
A movement at exactly the last count''s counted_at counts as before the count; equal counted_at: the
greater count id wins. To rebuild it from the ledger (e.g. after a bulk load with the triggers
disabled), as the schema owner: select rebuild_stock_level();';
comment on column stock_level.last_count_id is 'The count on_hand starts from; null when there is none.';

-- The count trigger sums movements after a time at one (item, location); the variance report sums
-- movements between two counts. qty is included so both are index-only scans.
create index idx_movement_item_location_time on movement (item_id, location_id, created_at) include (qty);
-- The variance report finds the count before each count, and pages counts by time.
create index idx_inventory_count_item_location_time on inventory_count (item_id, location_id, counted_at, id);
create index idx_inventory_count_time on inventory_count (counted_at, id);

-- Both triggers are statement-level, over the statement's new rows (a transition table), and work
-- in two steps, each a separate statement so that the second reads with a fresh READ COMMITTED
-- snapshot:
--  1. lock: create missing stock_level rows and lock all the statement's (item, location) rows in
--     key order (ON CONFLICT DO UPDATE locks a conflicting row even when its WHERE is false). One
--     global lock order means two statements never deadlock over stock_level, whatever the order of
--     their rows (opposite transfers, batches of counts, PO receipts).
--  2. apply, holding every lock: whatever committed before a lock was granted is in this snapshot,
--     and any writer not yet there waits for this transaction, then applies itself on top.

-- Movements add their qty where the last count is older than them; a movement at or before the last
-- count is already inside that count.
create function stock_level_after_movement() returns trigger
language plpgsql volatile security definer
set search_path = pg_catalog, public, pg_temp
as $$
begin
    insert into public.stock_level as s (item_id, location_id, on_hand)
    select distinct n.item_id, n.location_id, 0 from new_rows as n
    order by n.item_id, n.location_id
    on conflict (item_id, location_id) do update set on_hand = s.on_hand where false;

    update public.stock_level as s
    set on_hand = s.on_hand + d.qty, updated_at = pg_catalog.now()
    from (
        select n.item_id, n.location_id, sum(n.qty) as qty
        from new_rows as n
        inner join public.stock_level as c on n.item_id = c.item_id and n.location_id = c.location_id
        where c.last_count_at is null or n.created_at > c.last_count_at
        group by n.item_id, n.location_id
    ) as d
    where s.item_id = d.item_id and s.location_id = d.location_id;
    return null;
end
$$;
revoke execute on function stock_level_after_movement() from public;

-- The statement's newest count of each (item, location) replaces on-hand when it is newer than the
-- current last count (by counted_at, then id): on_hand = its qty + the movements after it. A
-- backdated count (older than the current last count) changes nothing.
create function stock_level_after_count() returns trigger
language plpgsql volatile security definer
set search_path = pg_catalog, public, pg_temp
as $$
begin
    insert into public.stock_level as s (item_id, location_id, on_hand)
    select distinct n.item_id, n.location_id, 0 from new_rows as n
    order by n.item_id, n.location_id
    on conflict (item_id, location_id) do update set on_hand = s.on_hand where false;

    update public.stock_level as s set
        on_hand = n.qty_on_hand + coalesce((
            select sum(m.qty) from public.movement as m
            where m.item_id = n.item_id and m.location_id = n.location_id and m.created_at > n.counted_at
        ), 0),
        last_count_at = n.counted_at,
        last_count_qty = n.qty_on_hand,
        last_count_id = n.id,
        updated_at = pg_catalog.now()
    from (
        select distinct on (c.item_id, c.location_id) c.item_id, c.location_id, c.id, c.counted_at, c.qty_on_hand
        from new_rows as c
        order by c.item_id, c.location_id, c.counted_at desc, c.id desc
    ) as n
    where
        s.item_id = n.item_id
        and s.location_id = n.location_id
        and (s.last_count_at is null or (n.counted_at, n.id) > (s.last_count_at, s.last_count_id));
    return null;
end
$$;
revoke execute on function stock_level_after_count() from public;

create trigger stock_level_after_movement
after insert on movement
referencing new table as new_rows
for each statement execute function stock_level_after_movement();

create trigger stock_level_after_count
after insert on inventory_count
referencing new table as new_rows
for each statement execute function stock_level_after_count();

-- Recomputes stock_level from the ledger with the same rule as the triggers. Holds writers off
-- (SHARE ROW EXCLUSIVE on the ledger) while it runs; readers keep reading the old rows until commit.
-- For the schema owner only: EXECUTE is revoked from PUBLIC and never granted to the app role.
create function rebuild_stock_level() returns bigint
language plpgsql volatile security definer
set search_path = pg_catalog, public, pg_temp
as $$
declare
    written bigint;
begin
    lock table public.inventory_count, public.movement in share row exclusive mode;
    delete from public.stock_level;
    with last_count as (
        select distinct on (c.item_id, c.location_id) c.id, c.item_id, c.location_id, c.qty_on_hand, c.counted_at
        from public.inventory_count as c
        order by c.item_id, c.location_id, c.counted_at desc, c.id desc
    ),

    moved as (
        select m.item_id, m.location_id, sum(m.qty) as qty
        from public.movement as m
        left join last_count as c on m.item_id = c.item_id and m.location_id = c.location_id
        where c.counted_at is null or m.created_at > c.counted_at
        group by m.item_id, m.location_id
    )

    insert into public.stock_level (item_id, location_id, on_hand, last_count_at, last_count_qty, last_count_id)
    select
        coalesce(c.item_id, d.item_id),
        coalesce(c.location_id, d.location_id),
        coalesce(c.qty_on_hand, 0) + coalesce(d.qty, 0),
        c.counted_at,
        c.qty_on_hand,
        c.id
    from last_count as c
    full join moved as d on c.item_id = d.item_id and c.location_id = d.location_id;
    get diagnostics written = row_count;
    return written;
end
$$;
revoke execute on function rebuild_stock_level() from public;

-- A database that already has counts and movements starts with its stock filled in.
select rebuild_stock_level();
