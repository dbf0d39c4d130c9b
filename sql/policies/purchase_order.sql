-- purchase_order: admins and managers only; counters and viewers see none. No DELETE (cancel).
grant select, insert, update on purchase_order to ${app_role};
grant usage on sequence purchase_order_number_seq to ${app_role};

create policy purchase_order_select_managers on purchase_order for select
using ((select current_setting('app.role', true)) in ('admin', 'manager'));

create policy purchase_order_insert_managers on purchase_order for insert
with check (
    (select current_setting('app.role', true)) in ('admin', 'manager')
    and created_by = (select current_app_user_id())
);

create policy purchase_order_update_managers on purchase_order for update
using ((select current_setting('app.role', true)) in ('admin', 'manager'))
with check ((select current_setting('app.role', true)) in ('admin', 'manager'));
