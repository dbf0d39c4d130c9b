-- name: CheckDatabase :one
-- /health: the database answers a query through the pool.
select now() as now;
