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
