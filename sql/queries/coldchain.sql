-- name: FindZoneConflicts :many
-- Which (item, location) pairs break the cold chain: the item has a storage_zone and the location
-- another temp_zone (n: the pair's position in the request, for the field path).
with pairs as (
    select p.item_id, p.location_id, p.n
    from unnest(%(item_ids)s::uuid[], %(location_ids)s::uuid[]) with ordinality as p (item_id, location_id, n)
)

select p.n, i.name as item_name, i.storage_zone, l.code as location_code, l.temp_zone
from pairs as p
inner join item as i on p.item_id = i.id
inner join location as l on p.location_id = l.id
where i.storage_zone is not null and i.storage_zone <> l.temp_zone
order by p.n;
