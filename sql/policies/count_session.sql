-- count_session: admins, managers and counters see sessions (viewers none); admins and managers
-- open them (as themselves) and change their status. A counter can never post or cancel: its UPDATE
-- policy admits the rows (USING) so that recording a line can lock the session FOR KEY SHARE (a
-- locking read needs the UPDATE policy) and take turns with a post, but its WITH CHECK is false, so
-- any UPDATE by a counter fails. Posting goes through post_count_session(), which checks the role
-- itself. The trigger count_session_guard keeps a posted or canceled session final. No DELETE.
grant select, insert, update on count_session to ${app_role};

create policy count_session_select_counters on count_session for select
using ((select current_setting('app.role', true)) in ('admin', 'manager', 'counter'));

create policy count_session_insert_managers on count_session for insert
with check (
    (select current_setting('app.role', true)) in ('admin', 'manager')
    and created_by = (select current_app_user_id())
);

create policy count_session_update_managers on count_session for update
using ((select current_setting('app.role', true)) in ('admin', 'manager'))
with check ((select current_setting('app.role', true)) in ('admin', 'manager'));

create policy count_session_lock_counters on count_session for update
using ((select current_setting('app.role', true)) = 'counter')
with check (false);
