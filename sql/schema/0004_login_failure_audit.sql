-- 0004_login_failure_audit: a failed login happens before anyone is identified, so RLS would
-- refuse its audit row (audit_log_insert_everyone requires actor_id = the caller). This function,
-- owned by the schema owner, records exactly that one kind of row and nothing else.
create function auth_record_login_failure(p_email text, p_ip inet, p_user_agent text) returns void
language sql volatile security definer
set search_path = pg_catalog, public, pg_temp
as $$
    insert into public.audit_log (actor_id, action, entity, entity_id, details, ip, user_agent)
    select
        null,
        'auth.login_failed',
        'app_user',
        (select u.id from public.app_user as u where u.email = left(p_email, 254)::public.citext),
        jsonb_build_object('email', left(p_email, 254)),
        p_ip,
        left(p_user_agent, 512)
$$;
revoke execute on function auth_record_login_failure(text, inet, text) from public;
