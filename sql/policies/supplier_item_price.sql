-- supplier_item_price: admins and managers read the history. Nobody writes it but the SECURITY
-- DEFINER trigger on supplier_item (0013_suppliers.sql): no INSERT, UPDATE or DELETE grant, and the
-- trigger supplier_item_price_append_only refuses changes even for the owner.
grant select on supplier_item_price to ${app_role};

create policy supplier_item_price_select_managers on supplier_item_price for select
using ((select current_setting('app.role', true)) in ('admin', 'manager'));
