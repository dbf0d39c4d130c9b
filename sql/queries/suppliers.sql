-- noqa: disable=RF02
-- (sqlfluff's placeholder templater turns %(name)s into a bare name, which RF02 takes for an
-- unqualified column.)

-- name: ListSuppliers :many
-- Suppliers by name (case-insensitively, as they are unique), a keyset page at a time; optionally
-- only active (or inactive) ones, or those whose name contains q.
select lower(name) as sort_key, id, name, contact_email, phone, lead_time_days, notes, active, created_at, updated_at
from supplier
where
    lower(name) > %(after)s
    and (%(active)s::boolean is null or active = %(active)s)
    and (
        %(q)s::text is null
        or name ilike '%%' || replace(replace(replace(%(q)s, '\', '\\'), '%%', '\%%'), '_', '\_') || '%%'
    )
order by lower(name)
limit %(limit)s;

-- name: GetSupplier :one
-- One supplier.
select id, name, contact_email, phone, lead_time_days, notes, active, created_at, updated_at
from supplier
where id = %(id)s;

-- name: LockSupplier :one
-- One supplier about to change, locked so If-Match compares against what will be updated.
select id, name, contact_email, phone, lead_time_days, notes, active, created_at, updated_at
from supplier
where id = %(id)s
for update;

-- name: CreateSupplier :one
-- A new supplier; a name another supplier has (in any case) fails on uq_supplier_name (409).
insert into supplier (name, contact_email, phone, lead_time_days, notes)
values (%(name)s, %(contact_email)s, %(phone)s, %(lead_time_days)s, %(notes)s)
returning id, name, contact_email, phone, lead_time_days, notes, active, created_at, updated_at;

-- name: UpdateSupplier :one
-- A supplier's new values; the handler passes every column (unchanged ones as they were).
update supplier set
    name = %(name)s,
    contact_email = %(contact_email)s,
    phone = %(phone)s,
    lead_time_days = %(lead_time_days)s,
    notes = %(notes)s,
    active = %(active)s,
    updated_at = now()
where id = %(id)s
returning id, name, contact_email, phone, lead_time_days, notes, active, created_at, updated_at;

-- name: ListSupplierItems :many
-- What one supplier sells, by item_number then pack name (stock units first), keyset on
-- (item_number, supplier item id); optionally only active (or inactive) ones.
select
    si.id,
    si.supplier_id,
    si.item_id,
    i.item_number,
    i.name as item_name,
    i.unit,
    si.pack_id,
    p.name as pack_name,
    p.qty as pack_qty,
    si.sku,
    si.price,
    si.preferred,
    si.active,
    si.created_at,
    si.updated_at
from supplier_item as si
inner join item as i on si.item_id = i.id
left join item_pack as p on si.pack_id = p.id
where
    si.supplier_id = %(supplier_id)s
    and (%(active)s::boolean is null or si.active = %(active)s)
    and (i.item_number, si.id) > (%(after_number)s, %(after_id)s::uuid)
order by i.item_number, si.id
limit %(limit)s;

-- name: GetSupplierItem :one
-- One supplier item with its item's number, name and unit and its pack's name and qty.
select
    si.id,
    si.supplier_id,
    si.item_id,
    i.item_number,
    i.name as item_name,
    i.unit,
    si.pack_id,
    p.name as pack_name,
    p.qty as pack_qty,
    si.sku,
    si.price,
    si.preferred,
    si.active,
    si.created_at,
    si.updated_at
from supplier_item as si
inner join item as i on si.item_id = i.id
left join item_pack as p on si.pack_id = p.id
where si.id = %(id)s;

-- name: FindSupplierItemItem :one
-- Which item a supplier item is of (it never changes), to lock that item before the supplier item.
select item_id
from supplier_item
where id = %(id)s;

-- name: LockSupplierItem :one
-- One supplier item about to change, locked (after its item, see LockItemForPreferred).
select id, item_id, sku, price, preferred, active
from supplier_item
where id = %(id)s
for update;

-- name: LockItemForPreferred :one
-- The item whose preferred supplier item may change, locked first by every such change so that two
-- at once take turns (FOR NO KEY UPDATE does not block counts and movements referring to the item).
select id, active
from item
where id = %(item_id)s
for no key update;

-- name: FindPack :one
-- A pack, if it is one of this item's packs.
select id, name, qty, active
from item_pack
where id = %(pack_id)s and item_id = %(item_id)s;

-- name: CreateSupplierItem :one
-- A new supplier item; its first price goes into supplier_item_price by trigger.
insert into supplier_item (supplier_id, item_id, pack_id, sku, price, preferred)
values (%(supplier_id)s, %(item_id)s, %(pack_id)s, %(sku)s, %(price)s, %(preferred)s)
returning id;

-- name: UpdateSupplierItem :exec
-- A supplier item's new values (every column passed); a new price adds a history row by trigger.
update supplier_item set
    sku = %(sku)s,
    price = %(price)s,
    preferred = %(preferred)s,
    active = %(active)s,
    updated_at = now()
where id = %(id)s;

-- name: UnpreferOtherSupplierItems :many
-- The item's preferred supplier items other than id (null: all) stop being preferred; the caller
-- locked the item first (LockItemForPreferred).
update supplier_item set preferred = false, updated_at = now()
where item_id = %(item_id)s and preferred and id is distinct from %(id)s::uuid
returning id;

-- name: ListSupplierItemPrices :many
-- A supplier item's prices, newest first, keyset on (valid_from, id).
select id, price, valid_from, changed_by
from supplier_item_price
where
    supplier_item_id = %(supplier_item_id)s
    and (%(before_at)s::timestamptz is null or (valid_from, id) < (%(before_at)s, %(before_id)s::bigint))
order by valid_from desc, id desc
limit %(limit)s;
