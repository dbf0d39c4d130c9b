-- pgbench script: the transaction GET /v1/items?category=cat-NN&limit=50 runs, statement for statement
-- (4 round trips), as the seeded viewer. From src/neuropilot/db.py (BEGIN READ ONLY for a GET, then
-- SetRequestContext) and sql/queries: SetRequestContext (context.sql), ListItemsByCategory
-- (items.sql; the handler asks limit + 1 = 51 rows to know whether there is a next page, after '' on
-- the first page). bench/http.py runs it with -n -M prepared (psycopg prepares a statement on its
-- 5th execution on a connection). pgbench variables are integers, so the category name is built in
-- a sub-select: one value per statement, as the API's bound parameter is.
\set cat random(1, 20)
BEGIN READ ONLY;
select set_config('app.user_id', '00000000-0000-4000-8000-000000000004', true) as user_id, set_config('app.role', 'viewer', true) as role, set_config('statement_timeout', '5000', true) as statement_timeout;
select id, item_number, name, unit, category, min_qty, max_qty, unit_cost, active, created_at, updated_at from item where category = (select 'cat-' || lpad(:cat::text, 2, '0')) and item_number > '' order by item_number limit 51;
COMMIT;
