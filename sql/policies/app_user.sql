-- app_user: admins manage everyone; every user sees and updates their own row (profile, password).
-- The trigger app_user_guard_privileged_columns keeps role, active and email admin-only.
-- No DELETE: users are deactivated, never removed.
grant select, insert, update on app_user to ${app_role};

create policy app_user_select_admins on app_user for select
using ((select current_setting('app.role', true)) = 'admin');

create policy app_user_select_self on app_user for select
using (id = (select current_app_user_id()));

create policy app_user_insert_admins on app_user for insert
with check ((select current_setting('app.role', true)) = 'admin');

create policy app_user_update_admins on app_user for update
using ((select current_setting('app.role', true)) = 'admin')
with check ((select current_setting('app.role', true)) = 'admin');

-- The caller must also carry a role: the column guard lets a transaction without app.role through
-- (that is how the owner's CLI works), so app.user_id alone must not reach this policy.
create policy app_user_update_self on app_user for update
using (
    id = (select current_app_user_id())
    and (select current_setting('app.role', true)) in ('admin', 'manager', 'counter', 'viewer')
)
with check (id = (select current_app_user_id()));
