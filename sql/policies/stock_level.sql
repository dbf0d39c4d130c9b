-- stock_level: derived on-hand (see 0006_stock_level.sql). Every role reads it; nobody writes it
-- but the SECURITY DEFINER triggers on inventory_count and movement, which run as the owner. The
-- app role has SELECT only, so an INSERT, UPDATE or DELETE is refused before any policy is asked.
grant select on stock_level to ${app_role};

create policy stock_level_select_everyone on stock_level for select
using ((select current_setting('app.role', true)) in ('admin', 'manager', 'counter', 'viewer'));
