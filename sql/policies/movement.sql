-- movement: every role reads; admins and managers post movements of every kind, counters only waste
-- (they find the spoiled tray; CONTRACT §15), always as themselves (created_by).
-- The ledger is history: no UPDATE or DELETE for anyone.
grant select, insert on movement to ${app_role};

create policy movement_select_everyone on movement for select
using ((select current_setting('app.role', true)) in ('admin', 'manager', 'counter', 'viewer'));

create policy movement_insert_managers on movement for insert
with check (
    (select current_setting('app.role', true)) in ('admin', 'manager')
    and created_by = (select current_app_user_id())
);

create policy movement_insert_counters_waste on movement for insert
with check (
    (select current_setting('app.role', true)) = 'counter'
    and type = 'waste'
    and created_by = (select current_app_user_id())
);
