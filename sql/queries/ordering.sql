-- noqa: disable=RF02
-- (sqlfluff's placeholder templater turns %(name)s into a bare name, which RF02 takes for an
-- unqualified column.)

-- name: ListSuggestedOrder :one
-- The weekly order (CONTRACT §13): every active item whose stock on hand (over all locations,
-- from stock_level) plus what is still to come on submitted orders (remaining x pack qty) is
-- below min_qty, with what brings it back up to max_qty in whole packs of its preferred supplier
-- item, as one JSON array (the API sends it as it is). Drafts, received and canceled orders are not on order.
--  * need = max_qty - on_hand - on_order (greatest(max_qty, min_qty): an item whose max_qty was
--    set below its min_qty is brought up to min_qty, never "order nothing").
--  * The preferred supplier item counts only when it, its supplier and its pack are active;
--    otherwise the row has no supplier (nulls) and order_qty is ceil(need) stock units.
--  * order_qty = ceil(need / pack qty), computed exactly with div and mod (a numeric quotient
--    is rounded, and a ceiling of a rounded quotient can be one pack short).
--  * Rows by supplier name (case-insensitively, as names are unique), those without a supplier
--    last, then by item_number. %(supplier_id)s (or null): only that supplier's rows.
-- The plan (docs/performance.md): stock_level and the submitted lines are each read once and
-- hashed by item; no movement is read, so the ledger's length does not matter.
with
on_hand as (
    select s.item_id, sum(s.on_hand) as qty
    from stock_level as s
    group by s.item_id
),

on_order as (
    select l.item_id, sum((l.req_qty - l.received_qty) * coalesce(p.qty, 1)) as qty
    from purchase_order as o
    inner join purchase_order_line as l on o.id = l.order_id
    left join item_pack as p on l.pack_id = p.id
    where o.status = 'submitted'
    group by l.item_id
),

preferred as (
    select
        si.item_id,
        si.id as supplier_item_id,
        si.supplier_id,
        s.name as supplier_name,
        si.pack_id,
        p.name as pack_name,
        p.qty as pack_qty,
        si.price
    from supplier_item as si
    inner join supplier as s on si.supplier_id = s.id
    left join item_pack as p on si.pack_id = p.id
    where si.preferred and si.active and s.active and (si.pack_id is null or p.active)
),

below as (
    select
        i.id,
        i.item_number,
        i.name,
        i.unit,
        i.min_qty,
        i.max_qty,
        coalesce(h.qty, 0) as on_hand,
        round(coalesce(oo.qty, 0), 3) as on_order
    from item as i
    left join on_hand as h on i.id = h.item_id
    left join on_order as oo on i.id = oo.item_id
    where i.active and coalesce(h.qty, 0) + coalesce(oo.qty, 0) < i.min_qty
),

sized as (
    select
        b.*,
        pf.supplier_item_id,
        pf.supplier_id,
        pf.supplier_name,
        pf.pack_id,
        pf.pack_name,
        pf.pack_qty,
        pf.price,
        greatest(b.max_qty, b.min_qty) - b.on_hand - b.on_order as need,
        coalesce(pf.pack_qty, 1) as per
    from below as b
    left join preferred as pf on b.id = pf.item_id
    where %(supplier_id)s::uuid is null or pf.supplier_id = %(supplier_id)s
),

ordered as (
    select
        z.*,
        div(z.need, z.per) + case when mod(z.need, z.per) > 0 then 1 else 0 end as packs
    from sized as z
)

select
    coalesce(
        json_agg(
            json_build_object(
                'item_id', x.id,
                'item_number', x.item_number,
                'item_name', x.name,
                'unit', x.unit,
                'on_hand', x.on_hand::text,
                'on_order', x.on_order::text,
                'min_qty', x.min_qty::text,
                'max_qty', x.max_qty::text,
                'need', x.need::text,
                'supplier_id', x.supplier_id,
                'supplier_name', x.supplier_name,
                'supplier_item_id', x.supplier_item_id,
                'pack_id', x.pack_id,
                'pack_name', x.pack_name,
                'pack_qty', x.pack_qty::text,
                'order_qty', round(x.packs, 3)::text,
                'unit_price', x.price::text,
                'line_cost', (x.packs * x.price)::text
            )
            order by x.supplier_name is null, lower(x.supplier_name), x.item_number
        ),
        '[]'
    )::text as data
from ordered as x;
