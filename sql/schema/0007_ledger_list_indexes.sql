-- 0007_ledger_list_indexes: GET /v1/movements without an item filter pages through the whole
-- ledger newest first; this index lets each page stop after `limit` rows instead of sorting every
-- movement ever recorded. (Counts have theirs, idx_inventory_count_time, from 0006; a b-tree
-- serves the descending walk by reading backwards.)
create index idx_movement_time on movement (created_at, id);
