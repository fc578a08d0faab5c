-- bfm:table orders
-- Validated against the existing rows.
ALTER TABLE orders
    ADD CONSTRAINT orders_status_check CHECK (status IN ('new', 'paid', 'shipped', 'cancelled'));
ALTER TABLE order_items
    ADD CONSTRAINT order_items_quantity_check CHECK (quantity > 0);
