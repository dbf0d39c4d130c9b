-- name: CreateAuditEntry :exec
-- One audit_log row, written in the transaction of the change it records.
insert into audit_log (actor_id, action, entity, entity_id, details, ip, user_agent)
values (%(actor_id)s, %(action)s, %(entity)s, %(entity_id)s, %(details)s, %(ip)s, %(user_agent)s);

-- name: ListAuditEntries :many
-- The audit trail, newest first, filtered, a keyset page at a time (before_id from the cursor).
select
    id,
    actor_id,
    action,
    entity,
    entity_id,
    details,
    host(ip) as ip,
    user_agent,
    created_at
from audit_log
where
    (%(entity)s::text is null or entity = %(entity)s)
    and (%(entity_id)s::uuid is null or entity_id = %(entity_id)s)
    and (%(actor_id)s::uuid is null or actor_id = %(actor_id)s)
    and (%(since)s::timestamptz is null or created_at >= %(since)s)
    and (%(before_id)s::bigint is null or id < %(before_id)s)
order by id desc
limit %(limit)s;
