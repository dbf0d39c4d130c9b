-- name: ListWasteBy :many
-- Waste in (since, until] grouped by reason, item (its item_number) or category: the stock units
-- wasted and their value at the item's unit_cost (0 when uncosted), exact (scale 7), most costly first.
select
    case %(group_by)s::text
        when 'reason' then m.reason
        when 'item' then i.item_number
        else i.category
    end as key,
    sum(-m.qty) as qty,
    round(sum(-m.qty * coalesce(i.unit_cost, 0)), 7)::text as value
from movement as m
inner join item as i on m.item_id = i.id
where m.type = 'waste' and m.created_at > %(since)s and m.created_at <= %(until)s
group by 1
order by sum(-m.qty * coalesce(i.unit_cost, 0)) desc, 1 nulls last;
