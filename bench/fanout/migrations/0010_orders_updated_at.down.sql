DROP TRIGGER IF EXISTS orders_touch_updated_at ON orders;
DROP FUNCTION IF EXISTS touch_updated_at();
ALTER TABLE orders DROP COLUMN IF EXISTS updated_at;
