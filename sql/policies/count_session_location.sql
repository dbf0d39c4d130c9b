-- count_session_location: seen like count_session; written once, when a manager opens a session.
-- status follows count_session by the cascading foreign key (run as the owner), so the app role has
-- no UPDATE here, and no DELETE.
grant select, insert on count_session_location to ${app_role};

create policy count_session_location_select_counters on count_session_location for select
using ((select current_setting('app.role', true)) in ('admin', 'manager', 'counter'));

create policy count_session_location_insert_managers on count_session_location for insert
with check ((select current_setting('app.role', true)) in ('admin', 'manager') and status = 'open');
