-- name: SetRequestContext :exec
-- Starts every request's transaction: who is calling and how long a statement may run, all
-- transaction-local (is_local = true), in one round trip. Policies read app.user_id and app.role.
select
    set_config('app.user_id', %(user_id)s, true) as user_id,
    set_config('app.role', %(role)s, true) as role,
    set_config('statement_timeout', %(statement_timeout)s, true) as statement_timeout;
