-- name: CheckDatabase :one
-- /health: the database answers a query through the pool.
select now() as now;

-- name: SchemaVersion :one
-- /ready: the newest applied migration, read as the app role through schema_version() (0014).
select schema_version() as version;
