-- item: every role reads; admins and managers create, update and delete. A delete of an item with
-- counts, movements or PO lines fails on its foreign keys (ON DELETE RESTRICT): history stays.
grant select, insert, update, delete on item to ${app_role};

create policy item_select_everyone on item for select
using ((select current_setting('app.role', true)) in ('admin', 'manager', 'counter', 'viewer'));

create policy item_insert_managers on item for insert
with check ((select current_setting('app.role', true)) in ('admin', 'manager'));

create policy item_update_managers on item for update
using ((select current_setting('app.role', true)) in ('admin', 'manager'))
with check ((select current_setting('app.role', true)) in ('admin', 'manager'));

create policy item_delete_managers on item for delete
using ((select current_setting('app.role', true)) in ('admin', 'manager'));
