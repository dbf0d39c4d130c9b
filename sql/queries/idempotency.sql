-- name: LockIdempotencyKey :exec
-- Serialises requests that share (caller, Idempotency-Key) until this transaction ends, so a
-- retry racing the original waits for it and then replays its response.
select pg_advisory_xact_lock(hashtextextended(current_app_user_id()::text || ':' || %(key)s, 7461));

-- name: GetIdempotentResponse :one
-- The stored first response for the caller's key, if still within its 24 hours.
select request_hash, status_code, response_headers, response_body, expires_at > now() as live
from idempotency_key
where user_id = current_app_user_id() and key = %(key)s;

-- name: DeleteIdempotencyKey :exec
-- Frees an expired key for reuse.
delete from idempotency_key
where user_id = current_app_user_id() and key = %(key)s;

-- name: SaveIdempotentResponse :exec
-- The first response, stored in the transaction of the write it describes.
insert into idempotency_key (
    user_id, key, method, path, request_hash, status_code, response_headers, response_body
)
values (
    current_app_user_id(), %(key)s, %(method)s, %(path)s, %(request_hash)s, %(status_code)s,
    %(response_headers)s, %(response_body)s
);
