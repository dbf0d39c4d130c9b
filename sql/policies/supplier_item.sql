-- supplier_item: admins and managers only, like suppliers. No DELETE grant: price history and
-- orders refer to supplier items, so they are deactivated.
grant select, insert, update on supplier_item to ${app_role};

create policy supplier_item_select_managers on supplier_item for select
using ((select current_setting('app.role', true)) in ('admin', 'manager'));

create policy supplier_item_insert_managers on supplier_item for insert
with check ((select current_setting('app.role', true)) in ('admin', 'manager'));

create policy supplier_item_update_managers on supplier_item for update
using ((select current_setting('app.role', true)) in ('admin', 'manager'))
with check ((select current_setting('app.role', true)) in ('admin', 'manager'));
