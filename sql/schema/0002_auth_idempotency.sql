-- 0002_auth_idempotency: what the contract adds to the design document's tables:
-- refresh-token storage for rotation with reuse detection, and idempotency keys for creating POSTs.

create table refresh_token (
    id uuid primary key default gen_random_uuid(),
    user_id uuid not null references app_user (id),
    -- Every token issued by one login shares a family; presenting a spent token revokes the family.
    family_id uuid not null,
    parent_id uuid references refresh_token (id),
    -- sha256 of the token; the token itself is never stored.
    token_hash bytea not null unique check (length(token_hash) = 32),
    issued_at timestamptz not null default now(),
    expires_at timestamptz not null,
    spent_at timestamptz,
    revoked_at timestamptz,
    revoked_reason text
);
alter table refresh_token enable row level security;
create index idx_refresh_token_family on refresh_token (family_id);
create index idx_refresh_token_user on refresh_token (user_id);
comment on table refresh_token is
'Refresh tokens by sha256 only. A token is live while spent_at, revoked_at are null and
expires_at is in the future. Rows are kept for reuse detection; prune expired ones as the owner.';

create table idempotency_key (
    user_id uuid not null references app_user (id),
    key text not null check (length(key) between 1 and 255),
    method text not null,
    path text not null,
    -- sha256 of the request body: the same key with another body is refused.
    request_hash bytea not null,
    status_code integer not null,
    response_body bytea not null,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null default now() + interval '24 hours',
    primary key (user_id, key)
);
alter table idempotency_key enable row level security;
create index idx_idempotency_key_expires on idempotency_key (expires_at);
comment on table idempotency_key is
'First response to a creating POST per (user, Idempotency-Key), replayed for 24 hours.';
