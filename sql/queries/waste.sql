-- name: ListWasteBy :many
-- Waste in (since, until] grouped by reason, item (its item_number) or category: the stock units
-- wasted and their value at the item's unit_cost (0 when uncosted), exact (scale 7), costliest first.
with asked as (
    select
        %(since)s::timestamptz as since,
        %(until)s::timestamptz as until,
        %(group_by)s::text as group_by
),

grouped as (
    select
        case a.group_by
            when 'reason' then m.reason
            when 'item' then i.item_number
            else i.category
        end as key,
        sum(-m.qty) as qty,
        sum(-m.qty * coalesce(i.unit_cost, 0)) as cost
    from asked as a
    inner join movement as m on a.since < m.created_at and a.until >= m.created_at
    inner join item as i on m.item_id = i.id
    where m.type = 'waste'
    group by key
)

select key, qty, round(cost, 7)::text as value
from grouped
order by cost desc, key asc nulls last;
