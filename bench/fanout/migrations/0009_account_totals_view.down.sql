DROP VIEW IF EXISTS account_order_totals;
