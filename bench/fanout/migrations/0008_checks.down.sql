ALTER TABLE order_items DROP CONSTRAINT IF EXISTS order_items_quantity_check;
ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_status_check;
