-- Schema-wide grants for the app role (${app_role}). Table grants and policies are in <table>.sql.
-- The app role owns nothing and creates nothing: it may only use the schema and the functions below.
revoke create on schema public from public;
grant usage on schema public to ${app_role};
grant execute on function current_app_user_id() to ${app_role};
grant execute on function auth_user_for_login(text) to ${app_role};
grant execute on function auth_record_login_failure(text, inet, text) to ${app_role};
grant execute on function list_items_by_category_as(text, text, text, text, integer) to ${app_role};
grant execute on function create_count_as(text, text, uuid, uuid, numeric, timestamptz, jsonb, inet, text, jsonb)
to ${app_role};
grant execute on function post_count_session(uuid, text) to ${app_role};
grant execute on function list_stock_as(text, text, uuid, uuid, text, boolean, text, text, integer) to ${app_role};
grant execute on function record_count_line_as(text, text, uuid, uuid, uuid, numeric, jsonb, timestamptz, jsonb, inet, text)
to ${app_role};
grant execute on function schema_version() to ${app_role};
