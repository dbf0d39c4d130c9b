-- location_sheet_item: every role reads a location's count sheet; admins and managers replace it
-- (PUT /v1/locations/{id}/sheet deletes the old rows and inserts the new ones, hence no UPDATE).
grant select, insert, delete on location_sheet_item to ${app_role};

create policy location_sheet_item_select_everyone on location_sheet_item for select
using ((select current_setting('app.role', true)) in ('admin', 'manager', 'counter', 'viewer'));

create policy location_sheet_item_insert_managers on location_sheet_item for insert
with check ((select current_setting('app.role', true)) in ('admin', 'manager'));

create policy location_sheet_item_delete_managers on location_sheet_item for delete
using ((select current_setting('app.role', true)) in ('admin', 'manager'));
