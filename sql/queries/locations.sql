-- name: ListLocations :many
-- Locations by code, a keyset page at a time, optionally only active (or inactive) ones.
select id, code, name, temp_zone, active, created_at
from location
where code > %(after)s and (%(active)s::boolean is null or active = %(active)s)
order by code
limit %(limit)s;

-- name: GetLocation :one
-- One location.
select id, code, name, temp_zone, active, created_at
from location
where id = %(id)s;

-- name: LockLocation :one
-- One location about to change, locked so If-Match compares against what will be updated.
select id, code, name, temp_zone, active, created_at
from location
where id = %(id)s
for update;

-- name: CreateLocation :one
-- A new storage zone.
insert into location (code, name, temp_zone)
values (%(code)s, %(name)s, %(temp_zone)s)
returning id, code, name, temp_zone, active, created_at;

-- name: UpdateLocation :one
-- A location's new values; the handler passes every column (unchanged ones as they were).
update location set code = %(code)s, name = %(name)s, temp_zone = %(temp_zone)s, active = %(active)s
where id = %(id)s
returning id, code, name, temp_zone, active, created_at;
