-- noqa: disable=RF02
-- (sqlfluff's placeholder templater turns %(name)s into a bare name, which RF02 takes for an
-- unqualified column.)

-- name: LockLocationForSheet :one
-- The location whose sheet is being replaced, locked so two replacements take turns (FOR NO KEY
-- UPDATE: counts and movements at the location, whose foreign keys take KEY SHARE, do not wait).
select id from location
where id = %(id)s
for no key update;

-- name: DeleteSheet :execrows
-- Every row of a location's count sheet (PUT replaces the sheet whole).
delete from location_sheet_item
where location_id = %(location_id)s;

-- name: CreateSheetItems :exec
-- A location's sheet, position = the order given (from 1).
insert into location_sheet_item (location_id, item_id, position)
select %(location_id)s, s.item_id, s.n
from unnest(%(item_ids)s::uuid[]) with ordinality as s (item_id, n);

-- name: ListSheet :many
-- A location's count sheet in shelf order.
select s.item_id, i.item_number, i.name as item_name, i.unit, s.position
from location_sheet_item as s
inner join item as i on s.item_id = i.id
where s.location_id = %(location_id)s
order by s.position;

-- name: FindLocationsInOpenSession :many
-- Which of the given locations another open session is counting (uq_count_session_location_open
-- decides for good; this only names them in the 409).
select location_id, session_id
from count_session_location
where location_id = any(%(location_ids)s::uuid[]) and status = 'open';

-- name: CreateCountSession :one
-- A new open session, opened by the caller (its locations and lines follow: CreateCountSessionLines).
insert into count_session (blind, note, created_by)
values (%(blind)s, %(note)s, current_app_user_id())
returning id;

-- name: CreateCountSessionLines :one
-- A new session's locations (ordinal = order given) and lines, as one statement. Per location: the
-- active items of its sheet in sheet order, then every other active item holding stock there
-- (stock_level.on_hand <> 0) by item_number; seq numbers them all in that order. A location in
-- another open session fails here on uq_count_session_location_open.
with given as (
    select g.location_id, g.ordinal
    from unnest(%(location_ids)s::uuid[]) with ordinality as g (location_id, ordinal)
),

placed as (
    insert into count_session_location (session_id, location_id, ordinal)
    select %(session_id)s, g.location_id, g.ordinal
    from given as g
    returning location_id
),

candidates as (
    select g.ordinal, g.location_id, s.item_id, 0 as part, s.position, i.item_number
    from given as g
    inner join location_sheet_item as s on g.location_id = s.location_id
    inner join item as i on s.item_id = i.id
    where i.active
    union all
    select g.ordinal, g.location_id, st.item_id, 1 as part, 0 as position, i.item_number
    from given as g
    inner join stock_level as st on g.location_id = st.location_id
    inner join item as i on st.item_id = i.id
    where
        i.active
        and st.on_hand <> 0
        and not exists (
            select from location_sheet_item as s
            where s.location_id = st.location_id and s.item_id = st.item_id
        )
),

lines as (
    insert into count_session_line (session_id, location_id, item_id, seq, position)
    select
        %(session_id)s,
        d.location_id,
        d.item_id,
        row_number() over (order by d.ordinal, d.part, d.position, d.item_number) as seq,
        row_number() over (partition by d.ordinal order by d.part, d.position, d.item_number) as position
    from candidates as d
    returning 1
)

select
    (select count(*) from lines) as lines_total,
    (select count(*) from placed) as locations;

-- name: GetCountSession :one
-- One count session with its locations (in the order given) and how many lines it has and has counted.
select
    s.id,
    s.status,
    s.blind,
    array(
        select sl.location_id from count_session_location as sl
        where sl.session_id = s.id
        order by sl.ordinal
    ) as location_ids,
    s.note,
    s.started_at,
    s.created_by,
    s.posted_at,
    (
        select count(*) from count_session_line as l
        where l.session_id = s.id
    ) as lines_total,
    (
        select count(*) from count_session_line as l
        where l.session_id = s.id and l.counted_at is not null
    ) as lines_counted
from count_session as s
where s.id = %(id)s;

-- name: ListCountSessions :many
-- Count sessions, newest first (keyset on started_at, id), optionally in one status.
select
    s.id,
    s.status,
    s.blind,
    array(
        select sl.location_id from count_session_location as sl
        where sl.session_id = s.id
        order by sl.ordinal
    ) as location_ids,
    s.note,
    s.started_at,
    s.created_by,
    s.posted_at,
    (
        select count(*) from count_session_line as l
        where l.session_id = s.id
    ) as lines_total,
    (
        select count(*) from count_session_line as l
        where l.session_id = s.id and l.counted_at is not null
    ) as lines_counted
from count_session as s
where
    (%(status)s::text is null or s.status = %(status)s)
    and (%(before_at)s::timestamptz is null or (s.started_at, s.id) < (%(before_at)s, %(before_id)s::uuid))
order by s.started_at desc, s.id desc
limit %(limit)s;

-- name: GetCountSessionState :one
-- What the line routes need of a session (read only: the lines list).
select id, status, blind, started_at
from count_session
where id = %(id)s;

-- name: ShareCountSession :one
-- The session a line is being recorded in, locked FOR KEY SHARE: many counters record at once, and
-- a post (FOR UPDATE) waits for them, so a line either lands before the post and is posted, or
-- waits and then finds the session posted.
select id, status, blind, started_at
from count_session
where id = %(id)s
for key share;

-- name: LockCountSession :one
-- The session about to be posted or canceled, locked FOR UPDATE (see ShareCountSession).
select id, status, blind, started_at
from count_session
where id = %(id)s
for update;

-- name: RecordCountLineAs :one
-- A count on a line of a session and its audit row, as one statement as the caller (sql/schema/0016):
-- one row, either the line as ListCountSessionLines shows it (refused null), or refused = 'session'
-- (not found), 'closed' (session_status says what it is), 'future' or 'early' (counted_at), 'line'
-- ((location, item) is not a line of the session), with nothing written. breakdown: the stored
-- breakdown (JSON text) or null.
select
    refused, session_status, item_id, item_number, item_name, unit, packs, location_id, location_code,
    position, expected, counted_qty, breakdown, counted_at, counted_by
from
    record_count_line_as(
        %(user_id)s, %(role)s, %(session_id)s, %(location_id)s, %(item_id)s, %(qty)s, %(breakdown)s::jsonb,
        %(counted_at)s, %(details)s, %(ip)s, %(user_agent)s
    );

-- name: ListCountSessionLines :many
-- A session's lines in walking order (seq: location order, then sheet position), a keyset page at a
-- time, optionally for one location. The page is chosen first, walking uq_count_session_line_seq
-- from the cursor, and only its rows are joined: RLS hides the row counts from the planner, which
-- would otherwise join every line of the session and sort.
-- expected is the on-hand now; in a blind session it is null unless the caller is an admin or a
-- manager, decided here from app.role, so no code path can hand it to a counter by mistake.
with page as (
    select
        l.seq,
        l.session_id,
        l.item_id,
        l.location_id,
        l.position,
        l.counted_qty,
        l.breakdown,
        l.counted_at,
        l.counted_by
    from count_session_line as l
    where
        l.session_id = %(session_id)s
        and l.seq > %(after)s::integer
        and (%(location_id)s::uuid is null or l.location_id = %(location_id)s)
    order by l.seq
    limit %(limit)s
)

select
    l.seq,
    l.item_id,
    i.item_number,
    i.name as item_name,
    i.unit,
    coalesce((
        select jsonb_agg(jsonb_build_object('id', p.id, 'name', p.name, 'qty', p.qty::text) order by p.qty, p.name)
        from item_pack as p
        where p.item_id = l.item_id and p.active
    ), '[]'::jsonb) as packs,
    l.location_id,
    loc.code as location_code,
    l.position,
    case
        when s.blind and coalesce((select current_setting('app.role', true)), '') not in ('admin', 'manager')
            then null
        else coalesce(st.on_hand, 0.000)
    end as expected,
    l.counted_qty,
    l.breakdown,
    l.counted_at,
    l.counted_by
from page as l
inner join count_session as s on l.session_id = s.id
inner join item as i on l.item_id = i.id
inner join location as loc on l.location_id = loc.id
left join stock_level as st on l.item_id = st.item_id and l.location_id = st.location_id
order by l.seq;

-- name: ListCountSessionVariance :many
-- Each counted line against the on-hand expected as of its counted_at (CONTRACT §5, ties as in
-- sql/schema/0006): the last count at or before counted_at (by counted_at, then id; 0 without one),
-- leaving out the counts this session posted itself, plus the movements after that count up to and
-- including counted_at (a movement at a count's exact time is before it). So stock used while the
-- count was going on is not a variance. variance_value is exact (scale 7) text, 0 when uncosted;
-- total_value repeats the sum on every row. anchored is MATERIALIZED so that the time of the last
-- count is a plain column: the movement scan then takes both time bounds as index conditions (over
-- a left join's nullable side the lower bound stayed a filter, reading a pair's whole history).
with anchored as materialized (
    select
        l.seq,
        l.item_id,
        l.location_id,
        l.counted_qty,
        l.counted_at,
        coalesce(last.counted_at, '-infinity') as since,
        coalesce(last.qty_on_hand, 0.000) as base
    from count_session_line as l
    left join lateral (
        select p.counted_at, p.qty_on_hand
        from inventory_count as p
        where
            p.item_id = l.item_id
            and p.location_id = l.location_id
            and p.counted_at <= l.counted_at
            and p.count_session_id is distinct from l.session_id
        order by p.counted_at desc, p.id desc
        limit 1
    ) as last on true
    where l.session_id = %(session_id)s and l.counted_at is not null
),

expected as (
    select
        a.seq,
        a.item_id,
        a.location_id,
        a.counted_qty,
        a.base + coalesce(moved.qty, 0.000) as expected
    from anchored as a
    left join lateral (
        select sum(m.qty) as qty
        from movement as m
        where
            m.item_id = a.item_id
            and m.location_id = a.location_id
            and m.created_at > a.since
            and m.created_at <= a.counted_at
    ) as moved on true
)

select
    e.item_id,
    i.item_number,
    e.location_id,
    e.expected,
    e.counted_qty,
    e.counted_qty - e.expected as variance,
    ((e.counted_qty - e.expected) * coalesce(i.unit_cost, 0.0000))::text as variance_value,
    (sum((e.counted_qty - e.expected) * coalesce(i.unit_cost, 0.0000)) over ())::text as total_value
from expected as e
inner join item as i on e.item_id = i.id
order by e.seq;

-- name: PostCountSession :one
-- Posts the (locked, open) session through the owner's function (sql/schema/0012): returns how many
-- inventory counts it created.
select post_count_session(%(session_id)s, %(uncounted)s) as counts_created;

-- name: CancelCountSession :execrows
-- Cancels an open session (the handler has it locked); its lines never become counts.
update count_session set status = 'canceled', canceled_at = now()
where id = %(id)s and status = 'open';
