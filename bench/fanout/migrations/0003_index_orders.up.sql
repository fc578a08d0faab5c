-- bfm:table orders
-- Lookups by account and "latest orders" listings.
CREATE INDEX orders_account_id_idx ON orders (account_id);
CREATE INDEX orders_created_at_idx ON orders (created_at DESC);
