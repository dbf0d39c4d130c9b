-- 0014_schema_version: the newest applied migration, for GET /ready (CONTRACT §18).
--
-- The migration ledger (neuropilot_meta.schema_migration) is the owner's alone: the app role has
-- no privilege on that schema and must not get one (it would see every applied file's name and
-- checksum, and USAGE on the schema is more than it needs). This one function, owned by the schema
-- owner, answers the only question /ready asks, a single integer, and nothing else. search_path is
-- pinned so a caller cannot substitute objects; EXECUTE is revoked from PUBLIC and granted to the
-- app role only (sql/policies/_schema.sql).
create function schema_version() returns integer
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
    select max(m.version) from neuropilot_meta.schema_migration as m
$$;
revoke execute on function schema_version() from public;
comment on function schema_version() is
'GET /ready: the newest applied migration version (null before any); the app role''s only view of the ledger.';
