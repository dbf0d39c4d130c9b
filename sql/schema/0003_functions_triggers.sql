-- 0003_functions_triggers: the functions policies and the login path rely on, and the triggers
-- that hold rules RLS alone cannot express.

-- The caller's id as the request set it (app.user_id), or null when it is missing or not a uuid.
-- Policies call it as (select current_app_user_id()) so it is evaluated once per statement, and a
-- missing or malformed setting yields no rows instead of a cast error.
create function current_app_user_id() returns uuid
language sql stable parallel safe
as $$
    select case
        when s ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' then s::uuid
    end
    from (select current_setting('app.user_id', true) as s) as setting
$$;

-- Login happens before the caller is known, so RLS would hide every user. This one function, owned
-- by the schema owner, returns what login needs for one email. search_path is pinned so a caller
-- cannot substitute objects; EXECUTE is revoked from PUBLIC and granted to the app role only.
create function auth_user_for_login(p_email text)
returns table (id uuid, role text, password_hash text, active boolean)
language sql stable security definer
set search_path = pg_catalog, public, pg_temp
as $$
    select u.id, u.role, u.password_hash, u.active
    from public.app_user as u
    where u.email = p_email::public.citext
$$;
revoke execute on function auth_user_for_login(text) from public;

-- audit_log is append-only for everyone, the owner included: the app role has no UPDATE, DELETE or
-- TRUNCATE grant, and this trigger refuses them for any role that does.
create function audit_log_refuse_change() returns trigger
language plpgsql
as $$
begin
    raise exception 'audit_log is append-only: % refused', tg_op using errcode = 'insufficient_privilege';
end
$$;
create trigger audit_log_append_only
before update or delete or truncate on audit_log
for each statement execute function audit_log_refuse_change();

-- A user may update their own row (display name, password), but only an admin may change anyone's
-- role, active flag or email. RLS decides which rows; this decides which columns. The table owner
-- (the operator's CLI) is exempt; a missing app.role is not an exemption.
create function app_user_guard_privileged_columns() returns trigger
language plpgsql
as $$
begin
    if (new.role, new.active, new.email) is distinct from (old.role, old.active, old.email)
        and current_setting('app.role', true) is distinct from 'admin'
        and not pg_has_role(current_user, (select c.relowner from pg_class as c where c.oid = tg_relid), 'usage') then
        raise exception 'only an admin may change role, active or email'
            using errcode = 'insufficient_privilege';
    end if;
    new.updated_at := now();
    return new;
end
$$;
create trigger app_user_guard_privileged_columns
before update on app_user
for each row execute function app_user_guard_privileged_columns();
