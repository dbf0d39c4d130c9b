-- audit_log: every role appends rows as itself; only admins read. No UPDATE, DELETE or TRUNCATE
-- grant, and the trigger audit_log_append_only refuses them even for the owner.
grant select, insert on audit_log to ${app_role};
grant usage on sequence audit_log_id_seq to ${app_role};

create policy audit_log_select_admins on audit_log for select
using ((select current_setting('app.role', true)) = 'admin');

create policy audit_log_insert_everyone on audit_log for insert
with check (
    (select current_setting('app.role', true)) in ('admin', 'manager', 'counter', 'viewer')
    and actor_id = (select current_app_user_id())
);
