-- supplier: admins and managers only (prices and terms are commercial information); counters and
-- viewers see none. No DELETE grant: orders and price history refer to suppliers, so they are deactivated.
grant select, insert, update on supplier to ${app_role};

create policy supplier_select_managers on supplier for select
using ((select current_setting('app.role', true)) in ('admin', 'manager'));

create policy supplier_insert_managers on supplier for insert
with check ((select current_setting('app.role', true)) in ('admin', 'manager'));

create policy supplier_update_managers on supplier for update
using ((select current_setting('app.role', true)) in ('admin', 'manager'))
with check ((select current_setting('app.role', true)) in ('admin', 'manager'));
