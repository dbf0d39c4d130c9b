-- 0005_idempotent_response_headers: a replayed response must carry the headers of the first one
-- (Location, ETag), not only its status and body.
alter table idempotency_key add column response_headers jsonb not null default '{}';
