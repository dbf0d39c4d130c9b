-- name: FindInactiveOrMissing :many
-- Which of the given items and locations do not exist or are inactive (a count or movement
-- against them is refused, naming the offending field).
select 'item' as kind, ids.id
from unnest(%(item_ids)s::uuid[]) as ids (id)
left join item as i on ids.id = i.id
where i.id is null or not i.active
union all
select 'location' as kind, ids.id
from unnest(%(location_ids)s::uuid[]) as ids (id)
left join location as l on ids.id = l.id
where l.id is null or not l.active;

-- name: CreateCounts :many
-- Counts as one statement (a batch is all or nothing), counted by the caller; counted_at
-- defaults to the transaction's now().
-- breakdowns: each count's stored breakdown as JSON text, or null.
insert into inventory_count (item_id, location_id, counted_by, qty_on_hand, counted_at, breakdown)
select
    c.item_id,
    c.location_id,
    current_app_user_id() as counted_by,
    c.qty,
    coalesce(c.counted_at, now()) as counted_at,
    c.breakdown::jsonb as breakdown
from
    unnest(
        %(item_ids)s::uuid[], %(location_ids)s::uuid[], %(qtys)s::numeric[], %(counted_ats)s::timestamptz[],
        %(breakdowns)s::text[]
    ) with ordinality as c (item_id, location_id, qty, counted_at, breakdown, n)
order by c.n
returning id, item_id, location_id, counted_by, qty_on_hand, counted_at, breakdown;

-- name: ListCounts :many
-- Counts, newest first, optionally for one item and/or location and since a time; keyset on
-- (counted_at, id) so a walk never repeats or skips a row while counts are added.
select id, item_id, location_id, counted_by, qty_on_hand, counted_at, breakdown
from inventory_count
where
    (%(item_id)s::uuid is null or item_id = %(item_id)s)
    and (%(location_id)s::uuid is null or location_id = %(location_id)s)
    and (%(since)s::timestamptz is null or counted_at >= %(since)s)
    and (%(before_at)s::timestamptz is null or (counted_at, id) < (%(before_at)s, %(before_id)s::uuid))
order by counted_at desc, id desc
limit %(limit)s;

-- name: CreateMovements :many
-- Movements as one statement (a transfer's two rows land together), created by the caller.
-- qty is the signed change to on-hand.
-- reasons: the waste reason of each row (null for every other type).
insert into movement (item_id, location_id, type, qty, note, reference, reason, created_by)
select m.item_id, m.location_id, m.type, m.qty, m.note, m.reference, m.reason, current_app_user_id() as created_by
from
    unnest(
        %(item_ids)s::uuid[], %(location_ids)s::uuid[], %(movement_types)s::text[], %(qtys)s::numeric[],
        %(notes)s::text[], %(refs)s::text[], %(reasons)s::text[]
    ) with ordinality as m (item_id, location_id, type, qty, note, reference, reason, n)
order by m.n
returning id, item_id, location_id, type, qty, note, reference, reason, created_by, created_at;

-- name: ListMovements :many
-- Movements, newest first, with optional filters; keyset on (created_at, id).
select id, item_id, location_id, type, qty, note, reference, reason, created_by, created_at
from movement
where
    (%(item_id)s::uuid is null or item_id = %(item_id)s)
    and (%(location_id)s::uuid is null or location_id = %(location_id)s)
    and (%(type)s::text is null or type = %(type)s)
    and (%(since)s::timestamptz is null or created_at >= %(since)s)
    and (%(before_at)s::timestamptz is null or (created_at, id) < (%(before_at)s, %(before_id)s::uuid))
order by created_at desc, id desc
limit %(limit)s;

-- name: CreateCountAs :one
-- One count and its audit row as one statement, as the caller (see sql/schema/0009). A row with
-- refused = 'item' or 'location' (its id in id) means that reference is unknown or inactive and
-- nothing was written. breakdown: the stored breakdown (JSON text) or null.
select id, item_id, location_id, counted_by, qty_on_hand, counted_at, breakdown, refused
from
    create_count_as(
        %(user_id)s, %(role)s, %(item_id)s, %(location_id)s, %(qty)s, %(counted_at)s, %(details)s, %(ip)s,
        %(user_agent)s, %(breakdown)s::jsonb
    );
