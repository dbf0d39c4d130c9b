-- pgbench script: what GET /v1/items?category=cat-NN&limit=50 runs, statement for statement, as the
-- seeded viewer: one statement in autocommit (src/neuropilot/db.py Database.statement), the named
-- query ListItemsByCategoryAs (sql/queries/items.sql), which calls list_items_by_category_as
-- (sql/schema/0009): it sets app.user_id and app.role transaction-locally, then lists. The handler
-- asks limit + 1 = 51 rows to know whether there is a next page, after '' on the first page.
-- bench/http.py runs it with -n -M prepared (psycopg prepares a statement on its 5th execution on a
-- connection). pgbench variables are integers, so the category name is built in a sub-select: one
-- value per statement, as the API's bound parameter is. The connection carries statement_timeout.
\set cat random(1, 20)
select id, item_number, name, unit, category, min_qty, max_qty, unit_cost, active, created_at, updated_at from list_items_by_category_as('00000000-0000-4000-8000-000000000004', 'viewer', (select 'cat-' || lpad(:cat::text, 2, '0')), '', 51);
