-- item_pack: every role reads (a counter counts in cases); admins and managers create and change
-- packs. No DELETE grant: counts, PO lines and supplier items refer to packs, so they are deactivated.
grant select, insert, update on item_pack to ${app_role};

create policy item_pack_select_everyone on item_pack for select
using ((select current_setting('app.role', true)) in ('admin', 'manager', 'counter', 'viewer'));

create policy item_pack_insert_managers on item_pack for insert
with check ((select current_setting('app.role', true)) in ('admin', 'manager'));

create policy item_pack_update_managers on item_pack for update
using ((select current_setting('app.role', true)) in ('admin', 'manager'))
with check ((select current_setting('app.role', true)) in ('admin', 'manager'));
