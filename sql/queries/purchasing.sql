-- name: CreatePurchaseOrder :one
-- A draft order; without a po_number the next readable one from the sequence.
insert into purchase_order (po_number, supplier, supplier_id, status, total_cost, notes, created_by)
values (
    coalesce(%(po_number)s, 'PO-' || lpad(nextval('purchase_order_number_seq')::text, 6, '0')),
    %(supplier)s,
    %(supplier_id)s,
    'draft',
    0,
    %(notes)s,
    current_app_user_id()
)
returning id;

-- name: CreatePurchaseOrderLines :exec
-- The lines of an order, in the order given; pack_id null means the line is in stock units.
insert into purchase_order_line (order_id, line_no, item_id, pack_id, req_qty, unit_price, note)
select %(order_id)s, l.n, l.item_id, l.pack_id, l.req_qty, l.unit_price, l.note
from
    unnest(
        %(item_ids)s::uuid[], %(pack_ids)s::uuid[], %(req_qtys)s::numeric[], %(unit_prices)s::numeric[], %(notes)s::text[]
    )
    with ordinality as l (item_id, pack_id, req_qty, unit_price, note, n)
order by l.n;

-- name: ListLinePacks :many
-- For each line (by its position, from 1) that names a pack: the pack if it is one of the line's
-- item's packs (null columns when it is not).
select l.n, p.id, p.qty, p.active
from
    unnest(%(item_ids)s::uuid[], %(pack_ids)s::uuid[]) with ordinality as l (item_id, pack_id, n)
left join item_pack as p on l.pack_id = p.id and l.item_id = p.item_id
where l.pack_id is not null
order by l.n;

-- name: DeletePurchaseOrderLines :exec
-- A draft's lines, before they are replaced.
delete from purchase_order_line
where order_id = %(order_id)s;

-- name: UpdatePurchaseOrder :exec
-- Header fields, status and the total recomputed from the lines (exact, scale 7).
update purchase_order set
    supplier = %(supplier)s,
    supplier_id = %(supplier_id)s,
    notes = %(notes)s,
    status = %(status)s,
    total_cost = (
        select coalesce(sum(l.req_qty * l.unit_price), 0)
        from purchase_order_line as l
        where l.order_id = %(id)s
    ),
    updated_at = now()
where id = %(id)s;

-- name: LockPurchaseOrder :one
-- An order about to change, locked: concurrent receipts and edits of one order take turns.
select id, po_number, supplier, supplier_id, status, notes
from purchase_order
where id = %(id)s
for update;

-- name: GetPurchaseOrder :one
-- One order with its lines (received and remaining quantities, in packs when the line names one)
-- and the lines whose invoice price differed from the ordered one, as the API shows it.
select
    o.id,
    o.po_number,
    o.supplier,
    o.supplier_id,
    o.status,
    o.total_cost::text as total_cost,
    o.notes,
    o.created_by,
    o.created_at,
    o.updated_at,
    coalesce(
        (
            select
                jsonb_agg(
                    jsonb_build_object(
                        'id', l.id,
                        'item_id', l.item_id,
                        'pack_id', l.pack_id,
                        'pack_name', p.name,
                        'pack_qty', p.qty::text,
                        'req_qty', l.req_qty::text,
                        'unit_price', l.unit_price::text,
                        'received_qty', l.received_qty::text,
                        'remaining_qty', (l.req_qty - l.received_qty)::text,
                        'received_price', l.received_price::text,
                        'note', l.note
                    )
                    order by l.line_no
                )
            from purchase_order_line as l
            left join item_pack as p on l.pack_id = p.id
            where l.order_id = o.id
        ),
        '[]'
    ) as lines,
    coalesce(
        (
            select
                jsonb_agg(
                    jsonb_build_object(
                        'line_id', l.id,
                        'ordered', l.unit_price::text,
                        'received', l.received_price::text,
                        'difference', (l.received_price - l.unit_price)::text
                    )
                    order by l.line_no
                )
            from purchase_order_line as l
            where l.order_id = o.id and l.received_price is distinct from l.unit_price and l.received_price is not null
        ),
        '[]'
    ) as price_variances
from purchase_order as o
where o.id = %(id)s;

-- name: ListPurchaseOrders :many
-- Orders newest first, optionally by status, supplier name and supplier_id; keyset on (created_at, id).
select
    id,
    po_number,
    supplier,
    supplier_id,
    status,
    total_cost::text as total_cost,
    notes,
    created_by,
    created_at,
    updated_at
from purchase_order
where
    (%(status)s::text is null or status = %(status)s)
    and (%(supplier)s::text is null or supplier = %(supplier)s)
    and (%(supplier_id)s::uuid is null or supplier_id = %(supplier_id)s)
    and (%(before_at)s::timestamptz is null or (created_at, id) < (%(before_at)s, %(before_id)s::uuid))
order by created_at desc, id desc
limit %(limit)s;

-- name: ListPurchaseOrderLinesForReceipt :many
-- The lines of a locked order with what remains to receive, and their pack (null: stock units).
select
    l.id,
    l.item_id,
    l.pack_id,
    p.name as pack_name,
    p.qty as pack_qty,
    l.req_qty,
    l.received_qty,
    l.req_qty - l.received_qty as remaining_qty,
    l.unit_price
from purchase_order_line as l
left join item_pack as p on l.pack_id = p.id
where l.order_id = %(order_id)s;  -- noqa: RF02

-- name: ReceivePurchaseOrderLines :exec
-- Adds received quantities (in the line's unit) and keeps the invoice price when the receipt gave
-- one; the check constraint refuses any over-receipt even if the handler erred.
update purchase_order_line as l
set
    received_qty = l.received_qty + r.qty,
    received_price = coalesce(r.price, l.received_price)
from unnest(%(line_ids)s::uuid[], %(qtys)s::numeric[], %(prices)s::numeric[]) as r (line_id, qty, price)
where l.id = r.line_id and l.order_id = %(order_id)s;

-- name: UpdateSupplierPricesFromReceipt :many
-- The supplier's items for the received (item, pack) pairs take the invoice price (the price
-- history grows by trigger); returns the supplier items whose price changed.
update supplier_item as si
set price = r.price, updated_at = now()
from unnest(%(item_ids)s::uuid[], %(pack_ids)s::uuid[], %(prices)s::numeric[]) as r (item_id, pack_id, price)
where
    si.supplier_id = %(supplier_id)s
    and si.item_id = r.item_id
    and si.pack_id is not distinct from r.pack_id
    and si.price <> r.price
returning si.id, si.price;
