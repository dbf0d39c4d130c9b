-- refresh_token: a user's own tokens only (the refresh flow knows the user id from the verified
-- token before it knows the role). Admins may revoke anyone's tokens (role change, deactivation).
grant select, insert, update on refresh_token to ${app_role};

create policy refresh_token_select_self on refresh_token for select
using (user_id = (select current_app_user_id()));

create policy refresh_token_select_admins on refresh_token for select
using ((select current_setting('app.role', true)) = 'admin');

create policy refresh_token_insert_self on refresh_token for insert
with check (user_id = (select current_app_user_id()));

create policy refresh_token_update_self on refresh_token for update
using (user_id = (select current_app_user_id()))
with check (user_id = (select current_app_user_id()));

create policy refresh_token_update_admins on refresh_token for update
using ((select current_setting('app.role', true)) = 'admin')
with check ((select current_setting('app.role', true)) = 'admin');
