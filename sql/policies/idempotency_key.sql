-- idempotency_key: keys are scoped per user; a user sees and writes only their own. DELETE lets an
-- expired key be replaced.
grant select, insert, delete on idempotency_key to ${app_role};

create policy idempotency_key_select_self on idempotency_key for select
using (user_id = (select current_app_user_id()));

create policy idempotency_key_insert_self on idempotency_key for insert
with check (user_id = (select current_app_user_id()));

create policy idempotency_key_delete_self on idempotency_key for delete
using (user_id = (select current_app_user_id()));
