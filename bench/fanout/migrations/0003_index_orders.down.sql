DROP INDEX IF EXISTS orders_created_at_idx;
DROP INDEX IF EXISTS orders_account_id_idx;
