-- inventory_count: every role reads; admins, managers and counters record counts, always as
-- themselves (counted_by). Counts are history: no UPDATE or DELETE for anyone.
grant select, insert on inventory_count to ${app_role};

create policy inventory_count_select_everyone on inventory_count for select
using ((select current_setting('app.role', true)) in ('admin', 'manager', 'counter', 'viewer'));

create policy inventory_count_insert_counters on inventory_count for insert
with check (
    (select current_setting('app.role', true)) in ('admin', 'manager', 'counter')
    and counted_by = (select current_app_user_id())
);
