-- name: GetUserForLogin :one
-- Login, before the caller is known: the one SECURITY DEFINER lookup (RLS hides app_user here).
select id, role, password_hash, active from auth_user_for_login(%(email)s);

-- name: RecordLoginFailure :exec
-- The audit row of a failed login, written through its SECURITY DEFINER function.
select auth_record_login_failure(%(email)s, %(ip)s, %(user_agent)s);

-- name: CreateRefreshToken :exec
-- A refresh token, by hash only; family_id ties a login's whole chain of rotations together.
insert into refresh_token (id, user_id, family_id, parent_id, token_hash, expires_at)
values (%(id)s, %(user_id)s, %(family_id)s, %(parent_id)s, %(token_hash)s, to_timestamp(%(expires_at)s));

-- name: LockRefreshToken :one
-- The presented refresh token, locked: two parallel refreshes of one token take turns, and the
-- second finds it spent.
select
    id,
    family_id,
    spent_at,
    revoked_at,
    expires_at <= now() as expired
from refresh_token
where token_hash = %(token_hash)s
for update;

-- name: SpendRefreshToken :exec
-- Rotation: the presented token is used up.
update refresh_token set spent_at = now()
where id = %(id)s;

-- name: RevokeRefreshFamily :execrows
-- Logout or reuse detection: every token of the family stops working.
update refresh_token set revoked_at = now(), revoked_reason = %(reason)s
where family_id = %(family_id)s and revoked_at is null;

-- name: RevokeUserRefreshTokens :execrows
-- Role change, deactivation or password change: all of a user's sessions end at once.
update refresh_token set revoked_at = now(), revoked_reason = %(reason)s
where user_id = %(user_id)s and revoked_at is null;
