-- name: CreatePurchaseOrder :one
-- A draft order; without a po_number the next readable one from the sequence.
insert into purchase_order (po_number, supplier, status, total_cost, notes, created_by)
values (
    coalesce(%(po_number)s, 'PO-' || lpad(nextval('purchase_order_number_seq')::text, 6, '0')),
    %(supplier)s,
    'draft',
    0,
    %(notes)s,
    current_app_user_id()
)
returning id;

-- name: CreatePurchaseOrderLines :exec
-- The lines of an order, in the order given.
insert into purchase_order_line (order_id, line_no, item_id, req_qty, unit_price, note)
select %(order_id)s, l.n, l.item_id, l.req_qty, l.unit_price, l.note
from
    unnest(%(item_ids)s::uuid[], %(req_qtys)s::numeric[], %(unit_prices)s::numeric[], %(notes)s::text[])
    with ordinality as l (item_id, req_qty, unit_price, note, n)
order by l.n;

-- name: DeletePurchaseOrderLines :exec
-- A draft's lines, before they are replaced.
delete from purchase_order_line
where order_id = %(order_id)s;

-- name: UpdatePurchaseOrder :exec
-- Header fields, status and the total recomputed from the lines (exact, scale 7).
update purchase_order set
    supplier = %(supplier)s,
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
select id, po_number, supplier, status, notes
from purchase_order
where id = %(id)s
for update;

-- name: GetPurchaseOrder :one
-- One order with its lines (received and remaining quantities), as the API shows it.
select
    o.id,
    o.po_number,
    o.supplier,
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
                        'req_qty', l.req_qty::text,
                        'unit_price', l.unit_price::text,
                        'received_qty', l.received_qty::text,
                        'remaining_qty', (l.req_qty - l.received_qty)::text,
                        'note', l.note
                    )
                    order by l.line_no
                )
            from purchase_order_line as l
            where l.order_id = o.id
        ),
        '[]'
    ) as lines
from purchase_order as o
where o.id = %(id)s;

-- name: ListPurchaseOrders :many
-- Orders newest first, optionally by status and supplier; keyset on (created_at, id).
select
    id, po_number, supplier, status, total_cost::text as total_cost, notes, created_by, created_at, updated_at
from purchase_order
where
    (%(status)s::text is null or status = %(status)s)
    and (%(supplier)s::text is null or supplier = %(supplier)s)
    and (%(before_at)s::timestamptz is null or (created_at, id) < (%(before_at)s, %(before_id)s::uuid))
order by created_at desc, id desc
limit %(limit)s;

-- name: ListPurchaseOrderLinesForReceipt :many
-- The lines of a locked order with what remains to receive.
select id, item_id, req_qty, received_qty, req_qty - received_qty as remaining_qty, unit_price
from purchase_order_line
where order_id = %(order_id)s;

-- name: ReceivePurchaseOrderLines :exec
-- Adds received quantities; the check constraint refuses any over-receipt even if the handler erred.
update purchase_order_line as l
set received_qty = l.received_qty + r.qty
from unnest(%(line_ids)s::uuid[], %(qtys)s::numeric[]) as r (line_id, qty)
where l.id = r.line_id and l.order_id = %(order_id)s;
