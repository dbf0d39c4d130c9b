-- location: every role reads; admins and managers create and update. No DELETE (deactivate).
grant select, insert, update on location to ${app_role};

create policy location_select_everyone on location for select
using ((select current_setting('app.role', true)) in ('admin', 'manager', 'counter', 'viewer'));

create policy location_insert_managers on location for insert
with check ((select current_setting('app.role', true)) in ('admin', 'manager'));

create policy location_update_managers on location for update
using ((select current_setting('app.role', true)) in ('admin', 'manager'))
with check ((select current_setting('app.role', true)) in ('admin', 'manager'));
