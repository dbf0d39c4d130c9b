-- bench/seed.sql: the load benchmark's data set (`make bench`, bench/http.py).
--
-- Run as the schema OWNER on a database built by `neuropilot migrate` (the owner is not subject to
-- RLS on its own tables). Deterministic: every id and value is derived from md5() of a fixed
-- string, so two runs load identical rows. About 10 s on a 2-core machine.
--
--   users      4, fixed ids 00000000-0000-4000-8000-00000000000N: 1 admin, 2 manager, 3 counter, 4 viewer
--   locations  12:     id md5('loc-' || n)::uuid,  code LOC-01 .. LOC-12
--   items      10,000: id md5('item-' || n)::uuid, item_number ITM-000001 .., category cat-01 .. cat-20
--              (item n is in cat-(1 + (n - 1) % 20), so 500 per category)
--   movements  200,000 receive/use/adjust rows (signed qty), every 5 minutes from 2024-01-01
--   counts     50,000, every 20 minutes from 2024-01-01
-- stock_level is filled by the schema's own statement-level triggers as the ledger rows go in.
-- bench/load/write.lua and bench/pgbench/write.sql rely on the id scheme.

set synchronous_commit = off;  -- the load only; the benchmark itself runs with durable commits

-- A non-negative 60-bit integer from md5(t): the seed's only source of "randomness".
create function pg_temp.h(t text) returns bigint
language sql immutable
as $$ select ('x' || left(md5(t), 15))::bit(60)::bigint $$;

insert into app_user (id, email, display_name, role, password_hash, created_at, updated_at)
values
    ('00000000-0000-4000-8000-000000000001', 'admin@bench.test', 'Bench Admin', 'admin', '!', '2024-01-01Z', '2024-01-01Z'),
    ('00000000-0000-4000-8000-000000000002', 'manager@bench.test', 'Bench Manager', 'manager', '!', '2024-01-01Z', '2024-01-01Z'),
    ('00000000-0000-4000-8000-000000000003', 'counter@bench.test', 'Bench Counter', 'counter', '!', '2024-01-01Z', '2024-01-01Z'),
    ('00000000-0000-4000-8000-000000000004', 'viewer@bench.test', 'Bench Viewer', 'viewer', '!', '2024-01-01Z', '2024-01-01Z');
-- password_hash '!' is no argon2 hash: nobody can sign in as these users; the benchmark mints tokens.

insert into location (id, code, name, temp_zone, created_at)
select
    md5('loc-' || n)::uuid,
    'LOC-' || lpad(n::text, 2, '0'),
    (array['Dry store', 'Walk-in cooler', 'Freezer'])[1 + n % 3] || ' ' || n,
    (array['dry', 'cooler', 'freezer'])[1 + n % 3],
    timestamptz '2024-01-01Z'
from generate_series(1, 12) as n;

insert into item (id, item_number, name, unit, category, min_qty, max_qty, unit_cost, created_at, updated_at)
select
    md5('item-' || n)::uuid,
    'ITM-' || lpad(n::text, 6, '0'),
    (array[
        'Flour', 'Sugar', 'Butter', 'Olive oil', 'Tomatoes', 'Onions', 'Basmati rice', 'Chicken thigh',
        'Salmon fillet', 'Double cream', 'Parmesan', 'Lemons'
    ])[1 + pg_temp.h('name-' || n) % 12] || ' ' || (1 + pg_temp.h('size-' || n) % 25) || ' kg',
    (array['kg', 'l', 'ea', 'box', 'case'])[1 + pg_temp.h('unit-' || n) % 5],
    'cat-' || lpad((1 + (n - 1) % 20)::text, 2, '0'),
    pg_temp.h('min-' || n) % 40,
    40 + pg_temp.h('max-' || n) % 200,
    round((pg_temp.h('cost-' || n) % 500000) / 10000.0, 4),
    timestamptz '2024-01-01Z' + n * interval '1 second',
    timestamptz '2024-01-01Z' + n * interval '1 second'
from generate_series(1, 10000) as n;

-- One statement, so the movement trigger runs once over all 200k rows.
insert into movement (id, item_id, location_id, type, qty, reference, created_by, created_at)
select
    md5('mv-' || g)::uuid,
    md5('item-' || (1 + r.a % 10000))::uuid,
    md5('loc-' || (1 + r.b % 12))::uuid,
    r.type,
    case r.type
        when 'receive' then r.amount
        when 'use' then -r.amount
        else case when r.b % 2 = 0 then r.amount else -r.amount end
    end,
    'BENCH-' || lpad(g::text, 6, '0'),
    (array['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002']::uuid[])[1 + g % 2],
    timestamptz '2024-01-01Z' + g * interval '5 minutes'
from generate_series(1, 200000) as g
cross join lateral (
    select
        pg_temp.h('mva-' || g) as a,
        pg_temp.h('mvb-' || g) as b,
        (1 + pg_temp.h('mvq-' || g) % 5000) / 100.0 as amount,
        -- 40% receive, 45% use, 15% adjust
        case
            when pg_temp.h('mvt-' || g) % 20 < 8 then 'receive'
            when pg_temp.h('mvt-' || g) % 20 < 17 then 'use'
            else 'adjust'
        end as type
) as r;

insert into inventory_count (id, item_id, location_id, counted_by, qty_on_hand, counted_at)
select
    md5('ic-' || g)::uuid,
    md5('item-' || (1 + r.a % 10000))::uuid,
    md5('loc-' || (1 + r.b % 12))::uuid,
    (array[
        '00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000003',
        '00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000001'
    ]::uuid[])[1 + r.b / 12 % 4],
    (r.a / 10000 % 100000) / 100.0,
    timestamptz '2024-01-01Z' + g * interval '20 minutes'
from generate_series(1, 50000) as g
cross join lateral (select pg_temp.h('ica-' || g) as a, pg_temp.h('icb-' || g) as b) as r;
