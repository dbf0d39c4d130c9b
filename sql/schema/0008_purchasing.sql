-- 0008_purchasing: what purchase orders need beyond the design document's tables.
--  * po_number, when the client gives none, comes from a sequence: PO-000001, PO-000002, …
--  * total_cost = Σ req_qty × unit_price is exact at scale 7 (numeric(14,3) × numeric(14,4)); the
--    document's numeric(14,4) would round it.
--  * Lines keep the order they were given in (line_no).
--  * Deleting an item checks purchase_order_line.item_id (ON DELETE RESTRICT): index it.
create sequence purchase_order_number_seq;
comment on sequence purchase_order_number_seq is 'Readable PO numbers (PO-000042) when none is given.';
alter table purchase_order alter column total_cost type numeric(21, 7);
alter table purchase_order_line add column line_no integer not null default 0;
create index idx_po_line_item on purchase_order_line (item_id);
create index idx_po_time on purchase_order (created_at desc, id desc);
