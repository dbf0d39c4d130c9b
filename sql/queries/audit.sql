-- name: CreateAuditEntry :exec
-- One audit_log row, written in the transaction of the change it records.
insert into audit_log (actor_id, action, entity, entity_id, details, ip, user_agent)
values (%(actor_id)s, %(action)s, %(entity)s, %(entity_id)s, %(details)s, %(ip)s, %(user_agent)s);
