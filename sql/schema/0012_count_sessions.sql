-- 0012_count_sessions: counting by storage area (CONTRACT §14): count sheets, count sessions and
-- their lines, and the one safe door through which a session's lines become inventory counts.
--
--  * location_sheet_item: a location's count sheet, the items kept there in shelf order
--    (position 1, 2, …). Replaced whole by PUT /v1/locations/{id}/sheet.
--  * count_session: a walk over 1–50 locations, open → posted | canceled, never back. A trigger
--    refuses any other transition and any change to what the session was opened as.
--  * count_session_location: the session's locations, with the session's status copied into each
--    row by a foreign key (session_id, status) → count_session (id, status) ON UPDATE CASCADE, so
--    the copy cannot drift, and a partial unique index on (location_id) where status = 'open':
--    one open session per location, enforced by PostgreSQL even when two managers open sessions
--    over the same location at the same moment (the second insert waits for the first, then fails).
--    The cascade runs as the table owner, so the app role needs no UPDATE on this table.
--  * count_session_line: one row per (location, item) of the session, created when it opens: per
--    location the active items of its sheet in sheet order, then the other active items holding
--    stock there (stock_level.on_hand <> 0) by item_number. seq orders all the session's lines
--    (location order, then position) and is the list's keyset. Counting a line updates it (last
--    counted_at wins); the update policy admits it only while the session is open.
--  * inventory_count.count_session_id: the session a count was posted from, so the session's
--    variance can leave its own posted counts out of "expected" and a DBA can trace a count back.
--  * post_count_session(): counts are inserted by the schema owner on behalf of each line's counter.
--    The insert policy of inventory_count lets a role write counts only as itself (counted_by =
--    caller), which is right for every other path and must not be loosened; posting a session is
--    the one case where a manager records what someone else counted. The function is SECURITY
--    DEFINER with a pinned search_path, checks the caller's role itself (admin or manager), locks the
--    session and refuses one that is not open, and writes nothing but that session's lines (counted
--    ones with their counter, counted_at and breakdown; with 'zero', uncounted ones as 0 counted by
--    the poster at the posting time) and the status change. It cannot be pointed at arbitrary rows.

create table location_sheet_item (
    location_id uuid not null references location (id) on delete restrict,
    item_id uuid not null references item (id) on delete restrict,
    position integer not null check (position >= 1),
    primary key (location_id, item_id),
    constraint uq_location_sheet_position unique (location_id, position)
);
alter table location_sheet_item enable row level security;
create index idx_location_sheet_item_item on location_sheet_item (item_id);
comment on table location_sheet_item is
'Count sheets: the items kept at a location, in shelf order (position from 1). Replaced whole by
PUT /v1/locations/{id}/sheet; count sessions list these items first.';

create table count_session (
    id uuid primary key default gen_random_uuid(),
    status text not null default 'open' check (status in ('open', 'posted', 'canceled')),
    blind boolean not null default false,
    note text check (length(note) <= 1000),
    created_by uuid not null references app_user (id),
    started_at timestamptz not null default now(),
    posted_at timestamptz,
    posted_by uuid references app_user (id),
    canceled_at timestamptz,
    constraint uq_count_session_status unique (id, status),
    constraint count_session_posted_when check ((status = 'posted') = (posted_at is not null)),
    constraint count_session_canceled_when check ((status = 'canceled') = (canceled_at is not null))
);
alter table count_session enable row level security;
create index idx_count_session_time on count_session (started_at desc, id desc);
create index idx_count_session_status_time on count_session (status, started_at desc, id desc);
create index idx_count_session_created_by on count_session (created_by);
comment on table count_session is
'A count of some locations, line by line, reviewed before it becomes stock: open → posted (its
lines became inventory counts, see post_count_session) or canceled. Never reopened, never deleted.';

create table count_session_location (
    session_id uuid not null,
    location_id uuid not null references location (id) on delete restrict,
    ordinal smallint not null check (ordinal between 1 and 50),
    status text not null default 'open',
    primary key (session_id, location_id),
    constraint fk_count_session_location_session foreign key (session_id, status)
    references count_session (id, status) on update cascade on delete restrict
);
alter table count_session_location enable row level security;
create unique index uq_count_session_location_open on count_session_location (location_id) where status = 'open';
create index idx_count_session_location_location on count_session_location (location_id);
comment on table count_session_location is
'The locations of a count session (ordinal = order given). status is the session''s, kept equal by
the cascading foreign key; uq_count_session_location_open allows one open session per location.';

create table count_session_line (
    session_id uuid not null,
    location_id uuid not null,
    item_id uuid not null references item (id) on delete restrict,
    seq integer not null check (seq >= 1),
    position integer not null check (position >= 1),
    counted_qty numeric(14, 3) check (counted_qty >= 0),
    breakdown jsonb constraint count_session_line_breakdown_is_array check (
        breakdown is null or jsonb_typeof(breakdown) = 'array'
    ),
    counted_at timestamptz,
    counted_by uuid references app_user (id),
    primary key (session_id, location_id, item_id),
    constraint uq_count_session_line_seq unique (session_id, seq),
    constraint fk_count_session_line_location foreign key (session_id, location_id)
    references count_session_location (session_id, location_id) on delete restrict,
    constraint count_session_line_counted_all_or_none check (
        (counted_at is null) = (counted_qty is null) and (counted_at is null) = (counted_by is null)
        and (breakdown is null or counted_at is not null)
    )
);
alter table count_session_line enable row level security;
create index idx_count_session_line_item on count_session_line (item_id);
create index idx_count_session_line_counted on count_session_line (session_id) where counted_at is not null;
comment on table count_session_line is
'What to count in a session and what was counted: one row per (location, item), created when the
session opens; seq is the walking order (location order, then position: sheet first). counted_* are
null until counted; a later counted_at replaces an earlier one.';

alter table inventory_count add column count_session_id uuid references count_session (id) on delete restrict;
create index idx_inventory_count_session on inventory_count (count_session_id) where count_session_id is not null;
comment on column inventory_count.count_session_id is 'The count session this count was posted from, if any.';

-- What a session was opened as never changes, and a posted or canceled session is final; only the
-- transitions open → posted (with posted_at) and open → canceled (with canceled_at) and a new note
-- on an open session are allowed, for every role including the owner.
create function count_session_guard() returns trigger
language plpgsql
as $$
begin
    if old.status <> 'open' then
        raise exception 'count session % is %: it cannot change', old.id, old.status
            using errcode = 'object_not_in_prerequisite_state';
    end if;
    if (new.id, new.blind, new.created_by, new.started_at)
        is distinct from (old.id, old.blind, old.created_by, old.started_at) then
        raise exception 'a count session keeps what it was opened as' using errcode = 'insufficient_privilege';
    end if;
    return new;
end
$$;
create trigger count_session_guard
before update on count_session
for each row execute function count_session_guard();

create function post_count_session(p_session_id uuid, p_uncounted text) returns integer
language plpgsql volatile security definer
set search_path = pg_catalog, public, pg_temp
as $$
declare
    poster uuid := public.current_app_user_id();
    current_status text;
    created integer;
begin
    if coalesce(current_setting('app.role', true), '') not in ('admin', 'manager') or poster is null then
        raise exception 'only an admin or a manager posts a count session' using errcode = 'insufficient_privilege';
    end if;
    if p_uncounted is null or p_uncounted not in ('keep', 'zero') then
        raise exception 'uncounted is keep or zero' using errcode = 'invalid_parameter_value';
    end if;
    select s.status into current_status from public.count_session as s where s.id = p_session_id for update;
    if not found then
        raise exception 'no count session %', p_session_id using errcode = 'no_data_found';
    end if;
    if current_status <> 'open' then
        raise exception 'count session % is %', p_session_id, current_status
            using errcode = 'object_not_in_prerequisite_state';
    end if;
    insert into public.inventory_count (
        item_id, location_id, counted_by, qty_on_hand, counted_at, breakdown, count_session_id
    )
    select l.item_id, l.location_id, l.counted_by, l.counted_qty, l.counted_at, l.breakdown, l.session_id
    from public.count_session_line as l
    where l.session_id = p_session_id and l.counted_at is not null
    union all
    select l.item_id, l.location_id, poster, 0, pg_catalog.now(), null, l.session_id
    from public.count_session_line as l
    where l.session_id = p_session_id and l.counted_at is null and p_uncounted = 'zero';
    get diagnostics created = row_count;
    update public.count_session set status = 'posted', posted_at = pg_catalog.now(), posted_by = poster
    where id = p_session_id;
    return created;
end
$$;
revoke execute on function post_count_session(uuid, text) from public;
comment on function post_count_session(uuid, text) is
'Posts an open count session: each counted line becomes an inventory count by its counter at its
counted_at (uncounted = zero: each uncounted line a count of 0 now by the poster); status → posted.
Admins and managers only (checked here: it runs as the owner). Returns the number of counts.';
