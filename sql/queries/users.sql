-- name: CreateUser :one
-- A new user; never returns password_hash.
insert into app_user (email, display_name, role, password_hash)
values (%(email)s, %(display_name)s, %(role)s, %(password_hash)s)
returning id, email::text as email, display_name, role, active, created_at, updated_at;

-- name: CountUsers :one
-- How many users exist (the owner sees all): decides whether a demo admin is created.
select count(*) as n from app_user;

-- name: GetActiveAdminByEmail :one
-- The admin that `neuropilot demo-data` attributes the demo rows to.
select id from app_user
where email = %(email)s and role = 'admin' and active;

-- name: GetUser :one
-- One user as the API shows it (RLS: admins see all, others only themselves).
select id, email::text as email, display_name, role, active, created_at, updated_at
from app_user
where id = %(id)s;

-- name: LockUser :one
-- A user about to be changed, locked, with the hash a password change must verify against.
select id, email::text as email, display_name, role, active, created_at, updated_at, password_hash
from app_user
where id = %(id)s
for update;

-- name: ListUsers :many
-- Users by email, a keyset page at a time: after (after_email, after_id) when given.
select id, email::text as email, display_name, role, active, created_at, updated_at
from app_user
where
    %(after_email)s::text is null
    or (email, id) > (%(after_email)s::citext, %(after_id)s::uuid)
order by email, id
limit %(limit)s;

-- name: UpdateUser :one
-- An admin's change of display name, role or active flag; null leaves a field as it is.
update app_user set
    display_name = coalesce(%(display_name)s, display_name),
    role = coalesce(%(role)s, role),
    active = coalesce(%(active)s, active)
where id = %(id)s
returning id, email::text as email, display_name, role, active, created_at, updated_at;

-- name: UpdateOwnProfile :one
-- A user's change of their own display name or password hash; null leaves a field as it is.
update app_user set
    display_name = coalesce(%(display_name)s, display_name),
    password_hash = coalesce(%(password_hash)s, password_hash)
where id = current_app_user_id()
returning id, email::text as email, display_name, role, active, created_at, updated_at;

-- name: CountActiveAdmins :one
-- Guards against the last active admin demoting or deactivating themselves.
select count(*) as n from app_user
where role = 'admin' and active;
