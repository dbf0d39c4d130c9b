-- count_session_line: seen like count_session. Admins and managers create the lines when they open
-- a session (uncounted, in an open session); admins, managers and counters record counts on them, only as themselves (counted_by)
-- and only while the session is open (the policy asks count_session, as the caller sees it). Column
-- grants keep which line it is (session, location, item, seq, position) out of reach of UPDATE.
grant select, insert on count_session_line to ${app_role};
grant update (counted_qty, breakdown, counted_at, counted_by) on count_session_line to ${app_role};

create policy count_session_line_select_counters on count_session_line for select
using ((select current_setting('app.role', true)) in ('admin', 'manager', 'counter'));

create policy count_session_line_insert_managers on count_session_line for insert
with check (
    (select current_setting('app.role', true)) in ('admin', 'manager')
    and counted_at is null
    and exists (
        select from count_session as s
        where s.id = count_session_line.session_id and s.status = 'open'
    )
);

create policy count_session_line_update_counters on count_session_line for update
using (
    (select current_setting('app.role', true)) in ('admin', 'manager', 'counter')
    and exists (
        select from count_session as s
        where s.id = count_session_line.session_id and s.status = 'open'
    )
)
with check (
    (select current_setting('app.role', true)) in ('admin', 'manager', 'counter')
    and counted_by = (select current_app_user_id())
    and exists (
        select from count_session as s
        where s.id = count_session_line.session_id and s.status = 'open'
    )
);
