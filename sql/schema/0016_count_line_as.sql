-- 0016_count_line_as: PUT /v1/count-sessions/{id}/lines as one statement (issue 16, the count burst).
-- Until now the PUT was a transaction of six round trips: BEGIN, set_config, the session locked FOR
-- KEY SHARE, the line's update with its audit row, the line read back, COMMIT. record_count_line_as
-- does the same work, in the same order, with the same locks, inside one call (SECURITY INVOKER, so
-- every policy of 0012 still decides), and the API sends it as one autocommit statement:
--  1. app.user_id / app.role for this transaction only (as create_count_as, 0009);
--  2. the session, locked FOR KEY SHARE (a post's FOR UPDATE waits for the line, or the line waits
--     for the post and then finds the session posted): refused 'session' when the caller cannot see
--     it, 'closed' (with its status) when it is not open;
--  3. counted_at (default now) neither more than 30 seconds in the future nor before the session
--     started: refused 'future' or 'early' (counting/lines.py LEEWAY is the same 30 seconds);
--  4. (location, item) must be a line of the session: refused 'line';
--  5. the line takes the count unless it holds a later one (the latest counted_at wins), and the
--     audit row records the attempt with applied true or false, both in one statement;
--  6. the line as GET /v1/count-sessions/{id}/lines shows it (ListCountSessionLines' columns and
--     rules: expected is null for a counter in a blind session).
-- A refusal returns one row with refused set and writes nothing: the checks run before the write.

create function record_count_line_as(
    p_user_id text,
    p_role text,
    p_session_id uuid,
    p_location_id uuid,
    p_item_id uuid,
    p_qty numeric,
    p_breakdown jsonb,
    p_counted_at timestamptz,
    p_details jsonb,
    p_ip inet,
    p_user_agent text
)
returns table (
    refused text,
    session_status text,
    item_id uuid,
    item_number text,
    item_name text,
    unit text,
    packs jsonb,
    location_id uuid,
    location_code text,
    -- quoted: unquoted, PostgreSQL reads POSITION here as the keyword
    "position" integer,  -- noqa: RF06
    expected numeric,
    counted_qty numeric,
    breakdown jsonb,
    counted_at timestamptz,
    counted_by uuid
)
language plpgsql
as $$
#variable_conflict use_column
declare
    v_blind boolean;
    v_started timestamptz;
    v_at timestamptz := coalesce(p_counted_at, now());
begin
    perform set_config('app.user_id', p_user_id, true), set_config('app.role', p_role, true);
    select s.status, s.blind, s.started_at into session_status, v_blind, v_started
    from public.count_session as s
    where s.id = p_session_id
    for key share;
    if not found then
        refused := 'session';
        return next;
        return;
    end if;
    refused := case
        when session_status <> 'open' then 'closed'
        when v_at > statement_timestamp() + interval '30 seconds' then 'future'
        when v_at < v_started then 'early'
        when not exists (
            select from public.count_session_line as l
            where l.session_id = p_session_id and l.location_id = p_location_id and l.item_id = p_item_id
        ) then 'line'
    end;
    if refused is not null then
        return next;
        return;
    end if;

    with changed as (
        update public.count_session_line as l
        set counted_qty = p_qty, breakdown = p_breakdown, counted_at = v_at, counted_by = public.current_app_user_id()
        where
            l.session_id = p_session_id and l.location_id = p_location_id and l.item_id = p_item_id
            and (l.counted_at is null or l.counted_at <= v_at)
        returning l.item_id
    )
    insert into public.audit_log (actor_id, action, entity, entity_id, details, ip, user_agent)
    select
        public.current_app_user_id(), 'count_session.line', 'count_session', p_session_id,
        p_details || jsonb_build_object('applied', exists (select from changed)), p_ip, p_user_agent;

    return query
    select
        null::text,
        session_status,
        l.item_id,
        i.item_number,
        i.name,
        i.unit,
        coalesce((
            select jsonb_agg(jsonb_build_object('id', p.id, 'name', p.name, 'qty', p.qty::text) order by p.qty, p.name)
            from public.item_pack as p
            where p.item_id = l.item_id and p.active
        ), '[]'::jsonb),
        l.location_id,
        loc.code,
        l.position,
        case
            when v_blind and coalesce(current_setting('app.role', true), '') not in ('admin', 'manager') then null
            else coalesce(st.on_hand, 0.000)
        end,
        l.counted_qty,
        l.breakdown,
        l.counted_at,
        l.counted_by
    from public.count_session_line as l
    inner join public.item as i on l.item_id = i.id
    inner join public.location as loc on l.location_id = loc.id
    left join public.stock_level as st on l.item_id = st.item_id and l.location_id = st.location_id
    where l.session_id = p_session_id and l.location_id = p_location_id and l.item_id = p_item_id;
end
$$;
comment on function record_count_line_as(text, text, uuid, uuid, uuid, numeric, jsonb, timestamptz, jsonb, inet, text) is
'PUT /v1/count-sessions/{id}/lines as one statement: sets app.user_id/app.role, locks the session FOR KEY '
'SHARE, refuses (refused = session | closed | future | early | line, writing nothing) or records the count '
'on the line unless it holds a later one, appends the audit row, and returns the line as the lines list shows it.';
revoke execute on function record_count_line_as(
    text, text, uuid, uuid, uuid, numeric, jsonb, timestamptz, jsonb, inet, text
) from public;
