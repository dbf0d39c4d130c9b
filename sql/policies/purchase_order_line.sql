-- purchase_order_line: admins and managers only. DELETE is needed to replace the lines of a draft.
grant select, insert, update, delete on purchase_order_line to ${app_role};

create policy purchase_order_line_select_managers on purchase_order_line for select
using ((select current_setting('app.role', true)) in ('admin', 'manager'));

create policy purchase_order_line_insert_managers on purchase_order_line for insert
with check ((select current_setting('app.role', true)) in ('admin', 'manager'));

create policy purchase_order_line_update_managers on purchase_order_line for update
using ((select current_setting('app.role', true)) in ('admin', 'manager'))
with check ((select current_setting('app.role', true)) in ('admin', 'manager'));

create policy purchase_order_line_delete_managers on purchase_order_line for delete
using ((select current_setting('app.role', true)) in ('admin', 'manager'));
