-- pgbench script: what POST /v1/counts (without an Idempotency-Key) runs, statement for statement, as
-- the seeded counter: one statement in autocommit (src/neuropilot/db.py Database.statement), the
-- named query CreateCountAs (sql/queries/ledger.sql), which calls create_count_as (sql/schema/0009):
-- context, the active check of the item and location, the count and its audit row.
-- Ids follow bench/seed.sql: md5('item-' || n)::uuid, md5('loc-' || n)::uuid.
\set iid random(1, 10000)
\set lid random(1, 12)
\set qty random(0, 500)
select id, item_id, location_id, counted_by, qty_on_hand, counted_at, refused from create_count_as('00000000-0000-4000-8000-000000000003', 'counter', md5('item-' || :iid)::uuid, md5('loc-' || :lid)::uuid, :qty, null, jsonb_build_object('item_id', md5('item-' || :iid)::uuid, 'location_id', md5('loc-' || :lid)::uuid, 'qty_on_hand', :qty::text, 'counted_at', null), '127.0.0.1', null);
