-- pgbench script: the transaction POST /v1/counts runs (without an Idempotency-Key), statement for
-- statement (6 round trips), as the seeded counter. From src/neuropilot/ledger.py create_count and
-- sql/queries: SetRequestContext (context.sql), FindInactiveOrMissing and CreateCounts (ledger.sql),
-- CreateAuditEntry (audit.sql). Ids follow bench/seed.sql: md5('item-' || n)::uuid, md5('loc-' || n)::uuid.
-- The inserted count's id goes into the audit row (\gset), as the handler does.
\set iid random(1, 10000)
\set lid random(1, 12)
\set qty random(0, 500)
BEGIN;
select set_config('app.user_id', '00000000-0000-4000-8000-000000000003', true) as user_id, set_config('app.role', 'counter', true) as role, set_config('statement_timeout', '5000', true) as statement_timeout;
select 'item' as kind, ids.id from unnest(array[md5('item-' || :iid)]::uuid[]) as ids (id) left join item as i on ids.id = i.id where i.id is null or not i.active union all select 'location' as kind, ids.id from unnest(array[md5('loc-' || :lid)]::uuid[]) as ids (id) left join location as l on ids.id = l.id where l.id is null or not l.active;
insert into inventory_count (item_id, location_id, counted_by, qty_on_hand, counted_at) select c.item_id, c.location_id, current_app_user_id() as counted_by, c.qty, coalesce(c.counted_at, now()) as counted_at from unnest(array[md5('item-' || :iid)]::uuid[], array[md5('loc-' || :lid)]::uuid[], array[:qty]::numeric[], array[null]::timestamptz[]) with ordinality as c (item_id, location_id, qty, counted_at, n) order by c.n returning id, item_id, location_id, counted_by, qty_on_hand, counted_at \gset
insert into audit_log (actor_id, action, entity, entity_id, details, ip, user_agent) values ('00000000-0000-4000-8000-000000000003', 'count.create', 'inventory_count', :id, jsonb_build_object('item_id', md5('item-' || :iid)::uuid, 'location_id', md5('loc-' || :lid)::uuid, 'qty_on_hand', :qty::text, 'counted_at', null), '127.0.0.1', null);
COMMIT;
